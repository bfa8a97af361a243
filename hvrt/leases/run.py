"""The host leases of one ``hvrt run``: what the engine calls around each scenario.

The engine starts one :class:`RunLeases` when its scheduler starts and stops it when
the scheduler is done. The scheduler has already given the scenario its hosts inside
this process; :meth:`RunLeases.holding` then takes the same hosts in the
coordination service, waiting (Ctrl-C still works) while another process holds one
and telling the progress line who does, and gives them back when the scenario ends,
whatever way it ends.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hvrt.leases import url as urls
from hvrt.leases.service import Holder, LeaseBackendError, LeaseService

if TYPE_CHECKING:
    from hvrt.context import RunContext

ProgressCallback = Callable[[str, str, str], None]
log = logging.getLogger("hvrt.leases")


def waiting_text(host: str, holder: Holder | None) -> str:
    """``waiting for hv1, held by runner2 pid 4242, run 20250101-120000, scenario beta``."""
    who = holder.describe() if holder is not None else "another process (no holder record)"
    return f"waiting for {host}, held by {who}"


class _Either:
    """Set as soon as one of its checks is true (what ``hold`` polls as its ``cancel``)."""

    def __init__(self, *checks: Callable[[], bool]) -> None:
        self.checks = checks

    def is_set(self) -> bool:
        return any(check() for check in self.checks)


class RunLeases:
    """The lease service of a run; ``url`` None resolves ``$HVRT_COORDINATION``,
    ``lab.coordination``, then the runner host's default folder."""

    def __init__(self, run: RunContext, progress: ProgressCallback, url: str | None = None) -> None:
        self.run = run
        self.progress = progress
        if url is None:
            try:
                url, origin = urls.resolve(run.config.coordination)
            except ValueError as exc:
                raise LeaseBackendError(str(exc)) from None
        else:
            origin = "given"
        self.origin = origin
        self.service = LeaseService(url)

    def start(self) -> RunLeases:
        self.service.start()
        self.run.log.info("host leases: %s (%s)", urls.display(self.service.url), self.origin)
        return self

    def stop(self) -> None:
        self.service.stop()

    @contextmanager
    def holding(self, scenario: str, hosts: Iterable[str],
                stopped: Callable[[], bool] = lambda: False) -> Iterator[None]:
        """Hold ``hosts`` for the block; raises ``LeaseWaitCancelled`` before the block
        runs when the run is cancelled (Ctrl-C) or ``stopped()`` turns true
        (``--fail-fast``) while it waits, ``LeaseBackendError`` when the service fails."""

        def on_wait(host: str, holder: Holder | None) -> None:
            text = waiting_text(host, holder)
            self.run.log.info("%s: %s", scenario, text)
            self.progress(scenario, "wait", text)

        held = self.service.hold(hosts, run_id=self.run.run_id, scenario=scenario,
                                 cancel=_Either(self.run.cancel.is_set, stopped), on_wait=on_wait)
        try:
            yield
        finally:
            lapsed = self.service.release(held)
            if lapsed:
                self.run.log.warning("%s: the lease of %s lapsed while the scenario ran (no heartbeat "
                                     "within the coordination service's TTL)", scenario, ", ".join(lapsed))
