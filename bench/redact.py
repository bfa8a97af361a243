#!/usr/bin/env python3
"""hvrt's redactor against the implementation it replaced, both measured in this run.

The baseline is hvrt's own first redactor (hvrt/redact.py before the linear rewrite),
rebuilt below from its regexes: literals of 4+ characters, ``key = value`` lines,
``scheme://user:password@`` URLs. Its URL regex backtracks over every run of word
characters, so a long line without separators costs it quadratic time.

Inputs (generated, deterministic):
  line-20k   one 20 KB line of base64url text (a blob without "/", a long token)
  line-1m    the same shape, 1 MB      (the baseline is not run: hours, see estimate)
  mixed-10m  10 MB of log text shaped like a Tempest / DevStack / Keystone run:
             requests, headers, JSON bodies, config lines, xtrace, URLs with
             credentials, tracebacks, Fernet tokens

Prints seconds (best of --repeat), throughput, masks found, and the ratios
baseline / new. Targets: line-1m < 0.1 s, mixed-10m about 1 s (<= 1.5 s).

Usage: python3 bench/redact.py [--repeat 3] [--mixed-mb 10]
"""
from __future__ import annotations

import argparse
import base64
import random
import re
import sys
import time
from collections.abc import Callable, Iterable

from hvrt.redact import MASK, Redactor

SECRETS = ["Sw0rdf1sh-admin", "hyperv-Pa$$w0rd", "rabbit-pass-42", "svc-token-9f"]


class BaselineRedactor:
    """The first redactor's text(): its regexes, unchanged."""

    _KEY_WORDS = (r"(?:password|passwd|secret|token|credential|private_key|key_password|auth_key|admin_token"
                  r"|service_token|api_key)")
    _ASSIGNMENT = re.compile(
        rf"(?im)^(?P<key>[ \t]*[\w.\-]*{_KEY_WORDS}[\w.\-]*[ \t]*[=:][ \t]*)(?P<value>[^\r\n]*)$")
    _URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.\-]*://[^:/@\s]+:)(?P<value>[^@\s/]+)(?=@)")

    def __init__(self, secrets: Iterable[str]) -> None:
        ordered = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    def text(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = self._ASSIGNMENT.sub(
            lambda m: m.group("key") + (MASK if m.group("value").strip() else ""), text)
        return self._URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


def blob_line(size: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    return base64.urlsafe_b64encode(rnd.randbytes(size)).decode()[:size]


def mixed_log(size: int, seed: int = 2) -> str:
    """Log text of about ``size`` characters, lines like those of a real run."""
    rnd = random.Random(seed)
    fernet = "gAAAAABm" + base64.urlsafe_b64encode(rnd.randbytes(140)).decode().rstrip("=")
    templates = [
        "2024-05-01 10:00:{s:02d}.{ms:03d} 4242 INFO tempest.lib.common.rest_client [req-{u}] Request "
        "(UsersV3TestJSON:test_update_user_password): 200 GET http://127.0.0.31:35717/v3/users/{u} 0.012s",
        "2024-05-01 10:00:{s:02d}.{ms:03d} 4242 DEBUG tempest.lib.common.rest_client [req-{u}] Request - Headers: "
        "{{'Content-Type': 'application/json', 'Accept': 'application/json', 'X-Auth-Token': '<omitted>'}}",
        '        Body: {{"auth": {{"identity": {{"methods": ["password"], "password": {{"user": {{"name": "admin", '
        '"domain": {{"name": "Default"}}, "password": "Sw0rdf1sh-admin"}}}}}}}}}}}}',
        "    Response - Headers: {{'date': 'Wed, 01 May 2024 10:00:{s:02d} GMT', 'x-subject-token': '{fernet}', "
        "'vary': 'X-Auth-Token', 'content-length': '{n}', 'status': '201'}}",
        "2024-05-01 10:00:{s:02d}.{ms:03d} DEBUG keystone.server.flask.request_processing.middleware.auth_context "
        "[None req-{u} admin admin] RBAC: auth_context: {{'token': <TokenModel (audit_id={u})>, 'user_id': '{u}'}}",
        "+ ./stack.sh:main:{n} export OS_PASSWORD=Sw0rdf1sh-admin",
        "+ ./stack.sh:main:{n} SERVICE_PASSWORD=svc-token-9f RABBIT_PASS=rabbit-pass-42",
        "transport_url = rabbit://stackrabbit:rabbit-pass-42@127.0.0.1:5672/",
        "connection = mysql+pymysql://root:Sw0rdf1sh-admin@127.0.0.1/keystone?charset=utf8",
        "admin_password = hyperv-Pa$$w0rd",
        "git clone https://ci:{u}@git.example/openstack/nova.git /opt/stack/nova",
        "openstack --os-auth-url http://127.0.0.1/identity --os-password Sw0rdf1sh-admin project list -f json",
        'Traceback (most recent call last):\n  File "/opt/stack/tempest/tempest/lib/common/rest_client.py", '
        "line {n}, in _error_checker\n    raise exceptions.Unauthorized(resp_body, resp=resp)\n"
        "tempest.lib.exceptions.Unauthorized: Unauthorized\nDetails: {{'code': 401, 'title': 'Unauthorized'}}",
        "2024-05-01 10:00:{s:02d}.{ms:03d} 3131 INFO nova.compute.manager [instance: {u}] Took {ms}.12 seconds "
        "to spawn the instance on the hypervisor.",
        "2024-05-01 10:00:{s:02d}.{ms:03d} 3131 DEBUG oslo_concurrency.lockutils Lock \"compute_resources\" "
        "acquired by \"nova.compute.resource_tracker._update_available_resource\" :: waited 0.000s",
    ]
    lines: list[str] = []
    total = 0
    while total < size:
        line = rnd.choice(templates).format(s=rnd.randrange(60), ms=rnd.randrange(1000), n=rnd.randrange(9999),
                                           u=rnd.randbytes(16).hex(), fernet=fernet)
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


def best(fn: Callable[[str], str], text: str, repeat: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(text)
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mixed-mb", type=float, default=10.0)
    args = parser.parse_args()
    new, old = Redactor(SECRETS), BaselineRedactor(SECRETS)
    new.text("warm up")
    inputs = {"line-20k": blob_line(20_000), "line-1m": blob_line(1_000_000),
              f"mixed-{args.mixed_mb:g}m": mixed_log(int(args.mixed_mb * 1_000_000))}
    print(f"{'input':<11} {'MB':>6} {'baseline s':>11} {'new s':>8} {'new MB/s':>9} {'baseline/new':>13}"
          f" {'masks baseline':>15} {'masks new':>10}")
    results: dict[str, float] = {}
    base_20k = 0.0
    for name, text in inputs.items():
        size = len(text) / 1e6
        new_s, new_out = best(new.text, text, args.repeat)
        results[name] = new_s
        if name == "line-1m":
            # quadratic: the 20 KB time scaled by (1 MB / 20 KB)^2
            estimate = base_20k * (len(text) / 20_000) ** 2
            print(f"{name:<11} {size:6.2f} {'not run':>11} {new_s:8.3f} {size / new_s:9.1f} {'~' + format(estimate / new_s, '.0f'):>13}"
                  f" {'-':>15} {new_out.count(MASK):10d}   (baseline estimated at ~{estimate / 3600:.1f} h)")
            continue
        old_s, old_out = best(old.text, text, 1 if name == "line-20k" else args.repeat)
        if name == "line-20k":
            base_20k = old_s
        print(f"{name:<11} {size:6.2f} {old_s:11.3f} {new_s:8.3f} {size / new_s:9.1f} {old_s / new_s:13.1f}"
              f" {old_out.count(MASK):15d} {new_out.count(MASK):10d}")
        leaked = [s for s in SECRETS if s in new_out]
        if leaked:
            print(f"  new redactor left {leaked} in {name}")
            return 1
    mixed = results[f"mixed-{args.mixed_mb:g}m"] * 10 / args.mixed_mb
    print(f"targets: line-1m {results['line-1m']:.3f} s (< 0.1), mixed per 10 MB {mixed:.2f} s (about 1, <= 1.5)")
    return 0 if results["line-1m"] < 0.1 and mixed <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
