"""Secrets never reach the published tree, the journal or the console, in any form,
and the tree can be read by another, unprivileged user (a web server's).

One real sandbox run whose config holds secrets everywhere a release engineer puts
them (URLs with credentials, INI values, local.conf variables, a short password)
and whose Tempest test fails with all of them in its output (plain, exported,
as CLI flags, in a Basic header, as JSON, URL-encoded, base64, upper and lower case).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import urllib.parse
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.sshd, pytest.mark.keystone]

LEAKY_SUITE = Path(__file__).resolve().parents[2] / "data" / "subunit" / "leaky"
SHORT = "Q7z"
PATTERN_ONLY = {
    "rabbit": "RabbitPw-5512",      # INI transport_url and a local.conf *_PASSWORD variable
    "db": "DbPw/4471@x",            # a password with '/' and '@' in a database URL
    "mirror": "UrlTok-3390",        # a token in a repository URL
    "repo": "RepoTok-7781",
}
NOBODY = 65534


def known_forms(secret: str, user: str) -> set[str]:
    """The forms a known secret may take in output; none may survive."""
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
             json.dumps(secret)[1:-1], base64.b64encode(secret.encode()).decode().rstrip("=")}
    if len(secret) >= 8:
        forms |= {secret.upper(), secret.lower()}
    forms.add(base64.b64encode(f"{user}:{secret}".encode()).decode().rstrip("="))
    return forms


def leaky_config(lab, folder: Path, leak_file: Path) -> Path:
    def edit(text: str) -> str:
        text = text.replace(
            "settings:\n",
            "settings:\n  tempest:\n"
            f"    test_path: {LEAKY_SUITE / 'hvrt_leaky'}\n    top_dir: {LEAKY_SUITE}\n"
            f"    env: {{HVRT_LEAK_FILE: {leak_file}}}\n", 1)
        text = text.replace(
            '      HVRT_SANDBOX_STEP_DELAY: "0"\n',
            '      HVRT_SANDBOX_STEP_DELAY: "0"\n'
            f'      RABBIT_PASSWORD: {PATTERN_ONLY["rabbit"]}\n'
            "      SERVICE_PASSWORD: ${env:HVRT_LEAK_SHORT}\n"
            f'      HVRT_MIRROR_URL: "https://ci:{PATTERN_ONLY["mirror"]}@127.0.0.9/mirror"\n')
        text = text.replace(
            "    nova: {repo: file:///var/tmp/hvrt-sandbox/repos/nova",
            f"    neutron: {{repo: 'https://ci:{PATTERN_ONLY['repo']}@127.0.0.9/neutron.git', branch: master}}\n"
            "    nova: {repo: file:///var/tmp/hvrt-sandbox/repos/nova")
        return text.replace(
            "          DEFAULT: {debug: true}\n",
            "          DEFAULT:\n            debug: true\n"
            f"            transport_url: 'rabbit://stackrabbit:{PATTERN_ONLY['rabbit']}@127.0.0.2:5672/'\n"
            "          database:\n"
            f"            connection: 'mysql+pymysql://nova:{PATTERN_ONLY['db']}@127.0.0.2/nova'\n")
    return lab["write_config"](folder, lab["state"], include="hvrt_leaky.\n", edit=edit)


def test_no_secret_in_any_form_and_the_tree_is_readable_by_nobody(lab) -> None:
    base = Path("/var/tmp") / f"hvrt-leak-test-{os.getpid()}"  # traversable by another user
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(mode=0o755)
    os.chmod(base, 0o755)
    try:
        leak_file = base / "leaks.json"
        leak_file.write_text(json.dumps({"known": [lab["password"], SHORT], "user": "admin"}))
        config = leaky_config(lab, base / "config", leak_file)
        results = base / "results"
        code, summary, err = lab["hvrt"]("run", "-c", str(config), "-p", "2012r2-vhdx", "--results", str(results),
                                         env={"HVRT_LEAK_SHORT": SHORT})
        assert summary is not None, err
        assert code == 1, err  # the leaky test fails; everything else works
        run_dir = Path(summary["run_dir"])
        scenario = json.loads((run_dir / "2012r2-vhdx" / "results.json").read_text())
        assert [t["status"] for t in scenario["tests"]] == ["failed"], scenario["tests"]
        assert "***" in scenario["tests"][0]["details"]
        console = json.dumps(summary) + err

        texts = {"console": console}
        for path in run_dir.rglob("*"):
            if path.is_file():
                texts[str(path.relative_to(run_dir))] = path.read_bytes().decode("utf-8", "replace")
        assert "journal.jsonl" in texts and "2012r2-vhdx/tempest.subunit" in texts
        forbidden = set().union(*(known_forms(s, "admin") for s in (lab["password"],)))
        forbidden |= set(PATTERN_ONLY.values())
        for where, text in texts.items():
            for form in forbidden:
                assert form not in text, (where, form)
            assert not any(word == SHORT for word in _words(text)), where

        # every folder 0755 and file 0644, and another user can read all of it
        for path in [run_dir, *run_dir.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))
        proc = subprocess.run(["find", str(run_dir), "-type", "f", "-exec", "cat", "{}", "+"],
                              user=NOBODY, group=NOBODY, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        assert len(proc.stdout) == sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _words(text: str) -> list[str]:
    word, out = [], []
    for ch in text:
        if ch.isalnum():
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return out
