"""Mode ``master``: publish ``state.apply`` to the node's minion through a salt-master.

hvrt runs on (or next to) the salt-master, as a user allowed to publish, and uses
Salt's ``LocalClient`` with the master's config file (``salt.master_config``). The
master's ``file_roots`` must hold this package's Salt tree (``python3 -m
hvrt_saltstack file-root`` prints its folder); the pillar travels with the
publication (``pillar=``), so no pillar file is written anywhere (the master's job
cache keeps it, as it keeps every publication). An MSI must be fetchable by the
minion: a URL from the release or ``salt.installer_source`` (``salt://``, ``https://``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hvrt.errors import ConfigurationFailed
from hvrt_saltstack.applier import Applier, render_log
from hvrt_saltstack.outcome import ApplyOutcome, summarize


class MasterPublish(Applier):
    mode = "master"

    def stage_installer(self, local_msi: Path | None, url: str | None) -> tuple[str | None, str | None]:
        source = self.options.installer_source or url
        if source is None and local_msi is not None:
            raise ConfigurationFailed(
                "mode master cannot upload a local MSI: give the release an installer url or "
                "salt.installer_source (salt://... served by the master)", host=self.node.name, step="configure",
            )
        return None, source

    def apply(self, pillar: dict[str, Any]) -> tuple[ApplyOutcome, str]:
        import salt.client  # imported here: hvrt itself never needs Salt

        config = str(self.options.master_config)
        try:
            client = salt.client.LocalClient(c_path=config)
        except Exception as exc:
            raise ConfigurationFailed(f"cannot use the salt-master config {config}: {exc}",
                                      host=self.node.name, step="configure") from None
        target = self.options.target
        try:
            returns = client.cmd(
                target, "state.apply", [self.options.sls],
                kwarg={"pillar": pillar, "saltenv": self.options.saltenv},
                timeout=self.timeout(), full_return=True,
            )
        except Exception as exc:
            raise ConfigurationFailed(f"publishing to minion {target!r} failed: {exc}",
                                      host=self.node.name, step="configure") from None
        finally:
            client.destroy()
        if target not in returns:
            raise ConfigurationFailed(
                f"minion {target!r} did not answer within {self.timeout():.0f}s (is it up and accepted?)",
                host=self.node.name, step="configure",
            )
        answer = returns[target]
        ret = answer.get("ret") if isinstance(answer, dict) and "ret" in answer else answer
        retcode = answer.get("retcode", "?") if isinstance(answer, dict) else "?"
        log = render_log(f"LocalClient({config}).cmd({target!r}, 'state.apply', [{self.options.sls!r}])",
                         retcode, ret)
        return summarize(self.node.name, self.mode, ret), log
