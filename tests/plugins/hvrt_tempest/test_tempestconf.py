"""Scenario values in tempest.conf, checked by Tempest's own config loader."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hvrt_tempest.tempestconf import adjust, scenario_values

from hvrt.config.model import Image, Profile
from hvrt.sandbox import venvs
from hvrt.sandbox.keystone import write_tempest_conf

_READ = """
import json, os, sys
os.environ["TEMPEST_CONFIG_DIR"], os.environ["TEMPEST_CONFIG"] = os.path.split(sys.argv[1])
from tempest import config
c = config.CONF
print(json.dumps({
    "live_migration": c.compute_feature_enabled.live_migration,
    "block_migration": c.compute_feature_enabled.block_migration_for_live_migration,
    "interface_attach": c.compute_feature_enabled.interface_attach,
    "vnc": c.compute_feature_enabled.vnc_console,
    "spice": c.compute_feature_enabled.spice_console,
    "disk_formats": c.image.disk_formats,
    "run_validation": c.validation.run_validation,
    "swap_volume": c.compute_feature_enabled.swap_volume,
    "volume_device_name": c.compute.volume_device_name,
    "min_compute_nodes": c.compute.min_compute_nodes,
    "image_ref_alt": c.compute.image_ref_alt,
    "img_file": c.scenario.img_file,
    "img_disk_format": c.scenario.img_disk_format,
    "uri_v3": c.identity.uri_v3,
    "region": c.identity.region,
}))
"""


def tempest_reads(path: Path) -> dict[str, object]:
    """What Tempest 47 itself makes of a tempest.conf."""
    python = venvs.venv_bin("tempest", "python")
    proc = subprocess.run([str(python), "-c", _READ, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.keystone
@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (Profile(name="a", os="2012r2", live_migration=False, image=Image(format="vhd")),
         {"live_migration": False, "block_migration": False, "interface_attach": False, "disk_formats": ["vhd"],
          "min_compute_nodes": 1, "img_disk_format": "vhd"}),
        (Profile(name="b", os="2016", live_migration=True, vm_generation=2,
                 image=Image(format="vhdx", url="https://images.invalid/cirros-0.3.4-x86_64.vhdx.gz")),
         {"live_migration": True, "block_migration": True, "interface_attach": True, "disk_formats": ["vhdx"],
          "min_compute_nodes": 2, "img_disk_format": "vhdx",
          "img_file": "./cirros-0.3.4-x86_64.vhdx"}),
        (Profile(name="c", os="2019", vm_generation=1),
         {"live_migration": False, "interface_attach": False, "disk_formats": ["vhdx"]}),
    ],
)
def test_tempest_reads_the_scenario_values(
    tmp_path: Path, cloud_venvs: None, profile: Profile, expected: dict[str, object]
) -> None:
    deployed = write_tempest_conf(tmp_path / "deployed.conf", "http://127.0.0.74:5000/v3", "pw-abcdef")
    target = tmp_path / "tempest.conf"
    target.write_text(adjust(deployed.read_text(), profile, {"validation": True}))
    seen = tempest_reads(target)
    # an option only older Tempest releases read (Tempest 47 has none), written as the legacy tool did
    lm = "true" if profile.live_migration else "false"
    assert f"block_migrate_cinder_iscsi = {lm}" in target.read_text()
    assert {k: seen[k] for k in expected} == expected
    assert seen["vnc"] is False and seen["spice"] is False and seen["run_validation"] is True
    assert seen["swap_volume"] is False and seen["volume_device_name"] == "sdb"
    # what the deployer wrote is kept
    assert seen["uri_v3"] == "http://127.0.0.74:5000/v3" and seen["region"] == "RegionOne"


def test_settings_conf_overrides_win() -> None:
    values = scenario_values(
        Profile(name="p", live_migration=True),
        {"conf": {"compute-feature-enabled": {"live_migration": False}, "compute": {"min_compute_nodes": 2}}},
    )
    assert values["compute-feature-enabled"]["live_migration"] == "false"
    assert values["compute"] == {"min_compute_nodes": "2", "volume_device_name": "sdb"}
    assert values["validation"] == {"run_validation": "true"}
    assert scenario_values(Profile(name="v"), {"validation": False})["validation"] == {"run_validation": "false"}


def test_adjust_keeps_unrelated_sections_and_case() -> None:
    text = "[DEFAULT]\nlog_dir = /x\n[auth]\nadmin_password = s3cret\n[compute-feature-enabled]\nresize = True\n"
    out = adjust(text, Profile(name="p"))
    assert "admin_password = s3cret" in out and "resize = True" in out and "log_dir = /x" in out
    assert "rdp_console = true" in out
