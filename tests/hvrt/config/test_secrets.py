"""Credentials: ``${env:...}``, ``${file:...}``, inline (warned), never shown."""
from __future__ import annotations

from pathlib import Path

import pytest

from hvrt.config import load_config
from hvrt.errors import ConfigError

LAB = """\
lab:
  controllers:
    ctl: {{address: 127.0.0.2, transport: local}}
  nodes:
    hv1:
      address: 127.0.0.11
      password: {password}
      labels: {{os: 2012r2}}
profiles:
  p: {{}}
"""


def write(tmp_path: Path, password: str) -> Path:
    path = tmp_path / "conf" / "hvrt.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(LAB.format(password=password))
    return path


def test_env_reference(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "${env:PW}"), environ={"PW": "from-env"})
    pw = config.nodes["hv1"].password
    assert pw.reveal() == "from-env" and "from-env" not in f"{pw} {pw!r} {config.nodes['hv1']!r}"
    assert config.secrets == (pw,)


def test_file_reference_is_relative_to_the_config_and_loses_its_newline(tmp_path: Path) -> None:
    (tmp_path / "pw.txt").write_text("from-file\n")
    config = load_config(write(tmp_path, "${file:../pw.txt}"), environ={})
    assert config.nodes["hv1"].password.reveal() == "from-file"
    assert config.nodes["hv1"].password.origin == "file:../pw.txt"


def test_inline_password_is_a_secret_with_a_warning(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "hunter2"), environ={})
    assert config.nodes["hv1"].password.reveal() == "hunter2"
    assert config.warnings == (f"{tmp_path}/conf/hvrt.yaml:7:17: lab.nodes.hv1.password: "
                               "password written in plain text; use ${env:NAME} or ${file:PATH}",)


@pytest.mark.parametrize(("password", "message"), [
    ("${env:NOPE}", "lab.nodes.hv1.password: environment variable NOPE is not set"),
    ("${file:missing.txt}", "lab.nodes.hv1.password: cannot read secret file"),
    ("${env:}", "lab.nodes.hv1.password: empty ${env:} reference"),
    ("[a, b]", "lab.nodes.hv1.password: expected a ${env:NAME} or ${file:PATH} reference, got a list"),
])
def test_bad_references(tmp_path: Path, password: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, password), environ={})
    assert ":7:17: " + message in str(err.value)
