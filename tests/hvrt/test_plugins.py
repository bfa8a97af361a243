"""Plugin discovery through real entry points: load errors stop the run, never skipped."""
from __future__ import annotations

import json

import pytest

from hvrt import hookimpl
from hvrt.errors import PluginLoadError
from hvrt.plugins import create_plugin_manager, describe_plugins


@pytest.fixture
def distribution(hvrt_distribution):
    """Throw-away distributions with hvrt entry points (hvrt.testing's fixture)."""
    return hvrt_distribution


GOOD = """
    import hvrt

    @hvrt.hookimpl
    def hvrt_collect(ctx):
        pass
"""


def test_builtins_load_by_name_like_third_party_plugins() -> None:
    pm = create_plugin_manager(["winrm", "devstack", "tempest", "html"])
    names = {i.name: i for i in describe_plugins(pm)}
    assert {"core", "transports", "winrm", "devstack", "tempest", "html"} <= set(names)
    assert names["core"].hooks == ("hvrt_stage",)
    assert names["winrm"].distribution == "hvrt"


def test_third_party_plugin_is_discovered_and_described(distribution) -> None:
    distribution("hvrt-extra", {"extra": "thirdparty_extra"}, {"thirdparty_extra": GOOD})
    pm = create_plugin_manager(["extra"])
    info = {i.name: i for i in describe_plugins(pm)}["extra"]
    assert (info.distribution, info.version, info.hooks) == ("hvrt-extra", "1.0", ("hvrt_collect",))


def test_unknown_plugin_name_is_a_load_error() -> None:
    with pytest.raises(PluginLoadError) as err:
        create_plugin_manager(["nosuchplugin"])
    assert err.value.name == "nosuchplugin"
    assert "available" in str(err.value)


def test_plugin_that_fails_to_import_stops_with_its_name_and_cause(distribution) -> None:
    distribution("hvrt-broken", {"broken": "thirdparty_broken"},
                 {"thirdparty_broken": "raise RuntimeError('missing licence key')\n"})
    with pytest.raises(PluginLoadError) as err:
        create_plugin_manager(["broken"])
    assert err.value.name == "broken"
    assert "missing licence key" in str(err.value)


def test_same_name_declared_by_two_distributions_is_refused(distribution) -> None:
    distribution("hvrt-a", {"twin": "thirdparty_a"}, {"thirdparty_a": GOOD})
    distribution("hvrt-b", {"twin": "thirdparty_b"}, {"thirdparty_b": GOOD})
    with pytest.raises(PluginLoadError, match="declared twice"):
        create_plugin_manager(["twin"])


def test_implementation_of_a_hook_that_does_not_exist_is_rejected() -> None:
    class Typo:
        @hookimpl
        def hvrt_colect(self, ctx):  # misspelt on purpose
            pass

    with pytest.raises(PluginLoadError) as err:
        create_plugin_manager((), extra=[("typo", Typo())])
    assert "hvrt_colect" in str(err.value)


def test_two_plugins_with_one_name_are_refused() -> None:
    class P:
        @hookimpl
        def hvrt_collect(self, ctx):
            pass

    with pytest.raises(PluginLoadError, match="already registered"):
        create_plugin_manager((), extra=[("dup", P()), ("dup", P())])


def test_disable_env_blocks_plugins_by_name() -> None:
    pm = create_plugin_manager(["winrm", "html"], environ={"HVRT_DISABLE_PLUGINS": "html, winrm"})
    assert not pm.has_plugin("html") and not pm.has_plugin("winrm")
    assert pm.has_plugin("core")


def test_plugins_named_in_env_are_imported_and_registered(distribution, monkeypatch) -> None:
    distribution("unused", {}, {"thirdparty_envplugin": GOOD})
    pm = create_plugin_manager((), environ={"HVRT_PLUGINS": "thirdparty_envplugin"})
    assert pm.has_plugin("thirdparty_envplugin")
    with pytest.raises(PluginLoadError):
        create_plugin_manager((), environ={"HVRT_PLUGINS": "thirdparty_missing_module"})


def test_hvrt_plugins_command_lists_builtins(capsys) -> None:
    from hvrt.cli.main import main

    assert main(["plugins", "--available", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == 1
    assert {"name": "tempest", "distribution": "hvrt"}.items() <= next(
        p for p in data["plugins"] if p["name"] == "tempest").items()
