"""Credentials in the config: ``${env:NAME}`` and ``${file:PATH}`` become :class:`Secret`.

A credential is never written into hvrt.yaml itself: the file names where to find it
(an environment variable, or a file relative to the config file) and the loader reads
it once. Every secret loaded is kept in :attr:`SecretStore.secrets`, which becomes
``Config.secrets`` so the run's redactor can hide the values everywhere. A password
written inline still works (it becomes a Secret and is redacted) but the load warns.
Inside ``settings:`` a reference becomes the plain string (plugins read settings as
text), still registered as a secret so every output masks it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hvrt.config.check import Problems, type_name
from hvrt.config.model import Secret
from hvrt.config.values import REFERENCE
from hvrt.config.yamlsrc import LList, LMap, Meta


class SecretStore:
    """Resolves references relative to ``base_dir`` and remembers every secret it made."""

    def __init__(self, base_dir: Path, problems: Problems, environ: Mapping[str, str] | None = None) -> None:
        self.base_dir = base_dir
        self.problems = problems
        self.environ = os.environ if environ is None else environ
        self.secrets: list[Secret] = []

    def _keep(self, secret: Secret) -> Secret:
        if secret not in self.secrets:
            self.secrets.append(secret)
        return secret

    def reference(self, text: str, meta: Meta) -> Secret | None | str:
        """The Secret a ``${...}`` string names; ``text`` itself when it holds no reference."""
        match = REFERENCE.fullmatch(text.strip())
        if match is None:
            if REFERENCE.search(text):
                self.problems.error("a ${env:...} or ${file:...} reference must be the whole value",
                                    meta.source, meta.path)
                return None
            return text
        kind, name = match.group(1), match.group(2).strip()
        if not name:
            self.problems.error(f"empty ${{{kind}:}} reference", meta.source, meta.path)
            return None
        if kind == "env":
            if name not in self.environ:
                self.problems.error(f"environment variable {name} is not set", meta.source, meta.path)
                return None
            return self._keep(Secret(self.environ[name], f"env:{name}"))
        path = (self.base_dir / Path(name).expanduser()).resolve()
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "no such file" if isinstance(exc, FileNotFoundError) else str(exc)
            self.problems.error(f"cannot read secret file {path}: {reason}", meta.source, meta.path)
            return None
        return self._keep(Secret(value, f"file:{name}"))

    def credential(self, m: LMap, key: str) -> Secret | None:
        """A password-like field: a reference, or an inline string (allowed, with a warning)."""
        value = m.get(key)
        if value is None:
            return None
        meta = m.meta_of(key)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problems.error(f"expected a ${{env:NAME}} or ${{file:PATH}} reference, got {type_name(value)}",
                                meta.source, meta.path)
            return None
        text = meta.raw if not isinstance(value, str) and meta.raw is not None else str(value)
        resolved = self.reference(text, meta)
        if isinstance(resolved, str):
            self.problems.warn("password written in plain text; use ${env:NAME} or ${file:PATH}",
                               meta.source, meta.path)
            return self._keep(Secret(resolved, "inline"))
        return resolved

    def plain(self, value: Any, meta: Meta, *, reveal: bool = False) -> Any:
        """A block as plain dicts and lists, with references turned into Secrets.

        :param reveal: give a reference's value as a string instead (the Secret is
            still kept, so the redactor masks it).
        """
        if isinstance(value, LMap):
            return {k: self.plain(v, value.meta_of(k), reveal=reveal) for k, v in value.items()}
        if isinstance(value, LList):
            return [self.plain(v, m, reveal=reveal) for v, m in zip(value, value.meta, strict=True)]
        if isinstance(value, str) and "${" in value:
            found = self.reference(value, meta)
            return found.reveal() if reveal and isinstance(found, Secret) else found
        return value
