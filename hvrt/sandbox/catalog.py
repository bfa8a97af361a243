"""The sandbox cloud's service catalog: the simulated Compute and Network APIs in Keystone.

DevStack creates the ``nova`` (compute) and ``neutron`` (network) services and their
endpoints in Keystone; the DevStack stand-in does the same in its ``accounts`` step,
through openstacksdk, so a client (hvrt's health check, the ``openstack`` CLI) finds
the APIs of :mod:`hvrt.sandbox.cloudapi` in the token's catalog exactly as it finds
them in a real cloud. Tests that pair a :class:`~hvrt.sandbox.keystone.KeystoneServer`
with an in-process status API call :func:`register` themselves.

Registering again keeps the service (and its id) and replaces its endpoints: every
``stack.sh`` starts the status API on a new port.

    python -m hvrt.sandbox.catalog register --auth-url URL --password-file F \\
        --endpoint compute=URL --endpoint network=URL
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from hvrt.config.model import Secret
from hvrt.errors import InfrastructureError
from hvrt.sandbox.keystone import REGION

SERVICE_NAMES = {"compute": "nova", "network": "neutron"}
INTERFACES = ("public", "internal", "admin")


def register(auth_url: str, password: str | Secret, endpoints: Mapping[str, str], *, region: str = REGION,
             timeout: float = 30.0) -> dict[str, str]:
    """Make ``endpoints`` (service type -> URL) the catalog's entries for those types, on every
    interface of ``region``, as Keystone's bootstrap ``admin``; returns service type -> service id."""
    import openstack
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions as sdk_exceptions

    secret = password.reveal() if isinstance(password, Secret) else password
    conn = openstack.connect(
        load_yaml_config=False, load_envvars=False, auth_type="password", auth_url=auth_url, username="admin",
        password=secret, project_name="admin", user_domain_name="Default", project_domain_name="Default",
        region_name=region, api_timeout=timeout, connect_retries=2,
    )
    ids: dict[str, str] = {}
    try:
        for service_type, url in endpoints.items():
            service = next(iter(conn.identity.services(type=service_type)), None)
            if service is None:
                service = conn.identity.create_service(
                    name=SERVICE_NAMES.get(service_type, service_type), type=service_type, is_enabled=True,
                    description=f"hvrt sandbox: simulated {service_type} status API")
            for old in list(conn.identity.endpoints(service_id=service.id)):
                conn.identity.delete_endpoint(old)
            for interface in INTERFACES:
                conn.identity.create_endpoint(service_id=service.id, interface=interface, url=url, region_id=region)
            ids[service_type] = str(service.id)
    except (sdk_exceptions.SDKException, ksa_exceptions.ClientException) as exc:
        raise InfrastructureError(f"cannot register {', '.join(endpoints)} in Keystone's catalog at {auth_url}: "
                                  f"{type(exc).__name__}: {exc}", step="keystone") from None
    finally:
        conn.close()
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hvrt.sandbox.catalog",
                                     description="Register the sandbox's simulated APIs in Keystone's catalog.")
    sub = parser.add_subparsers(dest="command", required=True)
    reg = sub.add_parser("register", help="create or replace the endpoints of service types")
    reg.add_argument("--auth-url", required=True)
    reg.add_argument("--password-file", required=True, type=Path, help="file holding the admin password")
    reg.add_argument("--endpoint", action="append", default=[], metavar="TYPE=URL", help="a service type's URL")
    reg.add_argument("--region", default=REGION)
    args = parser.parse_args(argv)
    endpoints = dict(item.split("=", 1) for item in args.endpoint if "=" in item)
    if len(endpoints) != len(args.endpoint):
        parser.error("--endpoint takes TYPE=URL")
    try:
        ids = register(args.auth_url, args.password_file.read_text().strip(), endpoints, region=args.region)
    except (InfrastructureError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(ids), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
