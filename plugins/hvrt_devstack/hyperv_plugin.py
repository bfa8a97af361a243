"""A DevStack plugin, kept on the controller, that installs networking-hyperv.

Why: the VLAN and flat scenarios load Neutron's ``hyperv`` ML2 mechanism driver, which
lives in networking-hyperv, not in Neutron; without it ``neutron-server`` does not start
and ``stack.sh`` fails. networking-hyperv ships no DevStack plugin of its own and DevStack
no longer sources ``extras.d`` scripts, so the deployer writes this small plugin into a
git repository under DEST before ``stack.sh`` (:func:`install`), and ``local.conf``
enables it (``enable_plugin hvrt-networking-hyperv file://...``). In DevStack's
``stack install`` phase, after Neutron is installed and before it starts, the plugin
hands ``$HVRT_NETWORKING_HYPERV`` (a pip requirement, ``settings.devstack.networking_hyperv``)
to DevStack's ``pip_install``, so it lands in the same environment as Neutron.
"""
from __future__ import annotations

import posixpath

from hvrt.transport.base import Transport
from hvrt_devstack import stack

PLUGIN_SH = """\
#!/usr/bin/env bash
# DevStack plugin written by hvrt: installs networking-hyperv, the home of Neutron's
# "hyperv" ML2 mechanism driver, into Neutron's environment.
if [[ "$1" == "stack" && "$2" == "install" ]]; then
    echo_summary "Installing ${HVRT_NETWORKING_HYPERV:-networking-hyperv} for the hyperv mechanism driver"
    pip_install "${HVRT_NETWORKING_HYPERV:-networking-hyperv}"
fi
"""

_COMMIT = ('cd "$1" && git init -q . && git add -A && '
           '{ git diff --cached --quiet 2>/dev/null && git rev-parse -q --verify HEAD >/dev/null || '
           'git -c user.name=hvrt -c user.email=hvrt@localhost -c commit.gpgsign=false commit -q '
           '-m "networking-hyperv installer of hvrt"; } && git branch -q -M master')


def plugin_dir(dest: str) -> str:
    return posixpath.join(dest, "hvrt-plugins", "networking-hyperv")


def install(transport: Transport, dest: str, timeout: float) -> str:
    """Write the plugin repository on the controller (idempotent); returns its ``file://`` URL."""
    folder = plugin_dir(dest)
    transport.run(["mkdir", "-p", posixpath.join(folder, "devstack")], timeout=timeout, check=True)
    stack.upload_text(transport, PLUGIN_SH, posixpath.join(folder, "devstack", "plugin.sh"), 0o644, timeout)
    transport.run(["sh", "-c", _COMMIT, "sh", folder], timeout=timeout, check=True)
    return f"file://{folder}"


def planned_url(dest: str) -> str:
    """The URL :func:`install` returns, for plans made before anything is written."""
    return f"file://{plugin_dir(dest)}"
