"""The shipped Puppet module ``hvrt``: valid, lint-clean, and correct when applied.

The settings classes are applied for real on the Linux test node (over SSH as the
non-root test user when the lab's sshd is available).
"""
from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.puppet, pytest.mark.skipif(shutil.which("puppet") is None, reason="needs puppet")]


def manifests(module_path: Path) -> list[Path]:
    return sorted((module_path / "hvrt").rglob("*.pp"))


def read_ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, default_section="\0")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def test_every_manifest_passes_the_parser(module_path: Path) -> None:
    files = manifests(module_path)
    assert {f.name for f in files} >= {"init.pp", "settings.pp", "ini_file.pp", "install.pp",
                                       "live_migration.pp", "service.pp", "inisettings.pp"}
    proc = subprocess.run(["puppet", "parser", "validate", *map(str, files)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_parser_check_catches_a_broken_manifest(module_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pp"
    broken.write_text((module_path / "hvrt/manifests/settings.pp").read_text().replace("each |", "each |(", 1))
    proc = subprocess.run(["puppet", "parser", "validate", str(broken)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "broken.pp" in proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("puppet-lint") is None, reason="needs puppet-lint")
def test_every_manifest_is_lint_clean(module_path: Path, tmp_path: Path) -> None:
    files = [str(f) for f in manifests(module_path)]
    proc = subprocess.run(["puppet-lint", "--fail-on-warnings", *files], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the same check fails on a manifest with a lint warning (a double-quoted constant string)
    sloppy = tmp_path / "sloppy.pp"
    sloppy.write_text('# @summary x\nclass sloppy {\n  notice("plain")\n}\n')
    proc = subprocess.run(["puppet-lint", "--fail-on-warnings", str(sloppy)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0


def test_metadata_names_its_dependency(module_path: Path) -> None:
    import json

    meta = json.loads((module_path / "hvrt/metadata.json").read_text())
    assert meta["name"] == "hvrt-hvrt"
    assert [d["name"] for d in meta["dependencies"]] == ["puppetlabs/inifile"]


SETTINGS = """
class {{ 'hvrt::settings':
  config_dir => '{dir}',
  ini        => {{
    'nova.conf' => {{
      'DEFAULT' => {{ 'debug' => true, 'allow_resize_to_same_host' => 'false', 'stale' => undef }},
      'hyperv'  => {{ 'instances_path' => 'C:\\\\OpenStack\\\\Instances' }},
    }},
    '{dir}/neutron_hyperv_agent.conf' => {{
      'SECURITYGROUP' => {{ 'enable_security_group' => true }},
    }},
  }},
}}
"""


@pytest.mark.slow
def test_settings_apply_then_hold(linux_node, puppet_apply) -> None:
    etc = linux_node.fresh_dir("etc-settings")
    (etc / "nova.conf").write_text("[DEFAULT]\nstale = 1\nkept = yes\n")
    if linux_node.over_ssh:
        shutil.chown(etc / "nova.conf", linux_node.user, linux_node.user)

    first = puppet_apply(SETTINGS.format(dir=etc))
    assert first.exit_code == 2, first.output  # 2: changes applied
    nova = read_ini(etc / "nova.conf")
    assert dict(nova["DEFAULT"]) == {"kept": "yes", "debug": "true", "allow_resize_to_same_host": "false"}
    assert nova["hyperv"]["instances_path"] == "C:\\OpenStack\\Instances"
    assert read_ini(etc / "neutron_hyperv_agent.conf")["SECURITYGROUP"]["enable_security_group"] == "true"
    assert "Ini_setting[" in first.output and "stale]/ensure: removed" in first.output

    second = puppet_apply(SETTINGS.format(dir=etc))
    assert second.exit_code == 0, second.output  # 0: nothing to change


@pytest.mark.slow
def test_a_setting_that_cannot_be_written_fails_naming_the_resource(linux_node, puppet_apply) -> None:
    etc = linux_node.fresh_dir("etc-broken")
    (etc / "blocker").write_text("a file where a folder should be\n")
    code = f"""
    class {{ 'hvrt::settings':
      config_dir => '{etc}',
      ini        => {{ 'nova.conf' => {{ 'DEFAULT' => {{ 'debug' => true }} }},
                      'blocker/agent.conf' => {{ 'AGENT' => {{ 'polling_interval' => 2 }} }} }},
    }}
    """
    result = puppet_apply(code)
    assert result.exit_code in (4, 6), result.output  # failures (6: with other changes)
    assert f"Ini_setting[{etc}/blocker/agent.conf [AGENT] polling_interval]" in result.output
    assert read_ini(etc / "nova.conf")["DEFAULT"]["debug"] == "true"


@pytest.mark.slow
def test_secret_values_stay_out_of_output_and_report(linux_node, puppet_apply) -> None:
    etc = linux_node.fresh_dir("etc-secret")
    code = f"""
    class {{ 'hvrt::settings':
      config_dir => '{etc}',
      ini        => {{ 'nova.conf' => {{ 'keystone_authtoken' => {{ 'password' => 'Hunter2-secret-value' }} }} }},
    }}
    """
    puppet_apply(code)
    changed = puppet_apply(code.replace("Hunter2-secret-value", "Other-secret-value"))
    assert changed.exit_code == 2, changed.output
    assert read_ini(etc / "nova.conf")["keystone_authtoken"]["password"] == "Other-secret-value"
    report = (changed.workdir / "vardir/state/last_run_report.yaml").read_text()
    for text in (changed.output, report):
        assert "Hunter2-secret-value" not in text and "Other-secret-value" not in text


@pytest.mark.slow
def test_the_whole_class_on_linux_manages_only_settings(linux_node, puppet_apply) -> None:
    etc = linux_node.fresh_dir("etc-whole")
    code = f"""
    class {{ 'hvrt':
      config_dir           => '{etc}',
      installer_source     => 'C:/msi/HyperVNovaCompute.msi',
      installer_features   => ['HyperVNovaCompute', 'NeutronHyperVAgent'],
      live_migration       => true,
      ini                  => {{ 'nova.conf' => {{ 'DEFAULT' => {{ 'debug' => true }} }} }},
    }}
    """
    result = puppet_apply(code)
    assert result.exit_code == 2, result.output
    assert read_ini(etc / "nova.conf")["DEFAULT"]["debug"] == "true"
    resources = (result.workdir / "vardir/state/resources.txt")
    if resources.exists():  # written with --write-catalog-summary only
        text = resources.read_text().lower()
        assert "package[" not in text and "service[" not in text and "exec[" not in text


@pytest.mark.slow
def test_bad_parameter_types_stop_before_anything_changes(linux_node, puppet_apply) -> None:
    etc = linux_node.fresh_dir("etc-types")
    result = puppet_apply(f"class {{ 'hvrt': config_dir => '{etc}', migration_authentication => 'Basic' }}\n")
    assert result.exit_code == 1, result.output
    assert "migration_authentication" in result.output
    assert not (etc / "nova.conf").exists()
