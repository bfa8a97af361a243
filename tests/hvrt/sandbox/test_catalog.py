"""The simulated APIs in the real Keystone's catalog, as DevStack lists nova and neutron."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest

from hvrt.errors import InfrastructureError
from hvrt.sandbox import catalog, venvs

PASSWORD = "Catalog-Pw-" + uuid.uuid4().hex[:8]
pytestmark = [pytest.mark.keystone, pytest.mark.slow,
              pytest.mark.skipif(not venvs.is_ready("keystone"), reason="Keystone venv not built")]


@pytest.fixture(scope="module")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hvrt.sandbox.keystone import KeystoneServer

    with KeystoneServer(tmp_path_factory.mktemp("keystone"), admin_password=PASSWORD) as server:
        yield server


def token_catalog(auth_url: str) -> dict[tuple[str, str], str]:
    """(service type, interface) -> URL, as a new token's catalog lists them."""
    conn = openstack.connect(load_yaml_config=False, load_envvars=False, auth_url=auth_url, username="admin",
                             password=PASSWORD, project_name="admin", user_domain_name="Default",
                             project_domain_name="Default", api_timeout=30)
    try:
        entries = conn.session.auth.get_access(conn.session).service_catalog.catalog
    finally:
        conn.close()
    return {(s["type"], e["interface"]): e["url"] for s in entries for e in s["endpoints"]}


def test_register_lists_both_apis_on_every_interface_and_replaces_them_later(keystone) -> None:
    first = catalog.register(keystone.auth_url, PASSWORD, {"compute": "http://127.0.0.1:1/compute/v2.1",
                                                           "network": "http://127.0.0.1:1/networking"})
    listed = token_catalog(keystone.auth_url)
    for interface in catalog.INTERFACES:
        assert listed[("compute", interface)] == "http://127.0.0.1:1/compute/v2.1"
        assert listed[("network", interface)] == "http://127.0.0.1:1/networking"
    assert ("identity", "public") in listed  # Keystone's own entry stays
    again = catalog.register(keystone.auth_url, PASSWORD, {"compute": "http://127.0.0.1:2/compute/v2.1"})
    assert again["compute"] == first["compute"], "the service keeps its id"
    listed = token_catalog(keystone.auth_url)
    assert listed[("compute", "public")] == "http://127.0.0.1:2/compute/v2.1"
    assert sum(1 for (kind, _i) in listed if kind == "compute") == len(catalog.INTERFACES)


def test_the_command_line_reads_the_password_from_a_file(keystone, tmp_path: Path, capsys) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    assert catalog.main(["register", "--auth-url", keystone.auth_url, "--password-file", str(secret),
                         "--endpoint", "network=http://127.0.0.1:3/networking"]) == 0
    assert '"network"' in capsys.readouterr().out
    assert token_catalog(keystone.auth_url)[("network", "internal")] == "http://127.0.0.1:3/networking"


def test_refused_credentials_are_an_infrastructure_error_without_the_password(keystone) -> None:
    with pytest.raises(InfrastructureError, match="cannot register compute in Keystone's catalog") as info:
        catalog.register(keystone.auth_url, "wrong-" + PASSWORD, {"compute": "http://127.0.0.1:4/compute/v2.1"})
    assert PASSWORD not in str(info.value)
