"""The ``winrm:`` host options: defaults, validation and "did you mean"."""
from __future__ import annotations

import pytest
from hvrt_winrm.options import WinRMOptions

from hvrt.config.model import Host, Source
from hvrt.errors import ConfigError


def host(**winrm) -> Host:
    return Host(name="hv", role="node", address="127.0.0.11", transport="winrm", options={"winrm": winrm},
                source=Source("lab.yaml", 3, 5))


def test_defaults_are_https_ntlm_validated():
    opts = WinRMOptions.from_host(host())
    assert (opts.scheme, opts.effective_port, opts.auth, opts.cert_validation) == ("https", 5986, "ntlm", "validate")
    assert WinRMOptions.from_host(host(scheme="http")).effective_port == 5985


def test_unknown_key_suggests():
    with pytest.raises(ConfigError) as info:
        WinRMOptions.from_host(host(ca_bundel="/x"))
    assert "did you mean 'ca_bundle'" in str(info.value) and info.value.line == 3


@pytest.mark.parametrize("bad", [{"auth": "digest"}, {"scheme": "ftp"}, {"operation_timeout": 40},
                                 {"auth": "certificate"}, {"cert_validation": "maybe"}])
def test_invalid_values(bad):
    with pytest.raises(ConfigError):
        WinRMOptions.from_host(host(**bad))


def test_out_of_range_values_and_did_you_mean_are_reported_together():
    with pytest.raises(ConfigError) as info:
        WinRMOptions.from_host(host(schem="http", retries=99, default_timeout=float("inf")))
    text = str(info.value)
    assert "lab.yaml:3:5: lab.nodes.hv.winrm.schem: unknown key (did you mean 'scheme'?)" in text
    assert "lab.nodes.hv.winrm.retries: must be between 0 and 20, got 99" in text
    assert "lab.nodes.hv.winrm.default_timeout: must be a finite number, got inf" in text


def test_host_port_is_the_default_port():
    opts = WinRMOptions.from_host(Host(name="hv", role="node", address="127.0.0.11", transport="winrm", port=5999))
    assert opts.effective_port == 5999
