"""Leases on lab hosts that every hvrt process sees, through a tooz coordinator.

One :class:`LeaseService` per process (a run, or ``hvrt leases``). A lease on a host
is the tooz lock ``hvrt-host-<name>``; the coordinator's heartbeat keeps the locks of
a live process (Redis, etcd, ZooKeeper, memcached: a TTL the heartbeat renews), and
they lapse when it dies (a ``file://`` lock is an ``fcntl`` lock: the kernel drops it
with the process). :meth:`LeaseService.hold` takes the hosts of one scenario in the
order of their lock names, so two processes never wait for each other in a cycle.

Who holds a lock is not something tooz locks tell, so the holder also joins the tooz
group of the same name with a :class:`Holder` as its member capabilities. Group
members expire with the heartbeat too (Redis: ``membership_timeout``; file driver:
the member file's age against ``?timeout=``, 10 s), so a killed runner's record goes.
A record is only read while its lock is held; when several claim one host (a
killed holder's not yet expired) the newest wins.

What differs between the drivers (etcd's waits and leases) is in :mod:`hvrt.leases.drivers`.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from hvrt.errors import InfrastructureError, Interrupted
from hvrt.leases import drivers
from hvrt.leases import url as urls

log = logging.getLogger("hvrt.leases")

POLL_SECONDS = 0.5
"""How long one attempt on a held lock blocks before the wait checks for Ctrl-C."""


class LeaseBackendError(InfrastructureError):
    """The coordination service cannot be used (unreachable, driver missing, bad URL)."""


class LeaseWaitCancelled(Interrupted):
    """The run was cancelled (or stopped) while a scenario waited for a host held elsewhere."""

    def __init__(self, host: str) -> None:
        super().__init__(f"cancelled while waiting for host {host}")
        self.host = host


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: the runner host, its process, run and scenario, since when."""

    runner: str
    pid: int
    run_id: str
    scenario: str
    since: float = 0.0

    def describe(self) -> str:
        return f"{self.runner} pid {self.pid}, run {self.run_id or '-'}, scenario {self.scenario or '-'}"

    def same_lease(self, other: Holder | None) -> bool:
        """The same runner process, run and scenario (whenever each host was taken)."""
        return other is not None and (self.runner, self.pid, self.run_id, self.scenario) == \
            (other.runner, other.pid, other.run_id, other.scenario)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, data: object) -> Holder | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(str(data["runner"]), int(data["pid"]), str(data.get("run_id") or ""),
                       str(data.get("scenario") or ""), float(data.get("since") or 0.0))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Held:
    """The hosts one :meth:`LeaseService.hold` took, in the order it took them; the
    holder's ``since`` is when it had them all (each host's record has its own)."""

    hosts: tuple[str, ...]
    holder: Holder


@dataclass(frozen=True)
class HostState:
    host: str
    held: bool
    holder: Holder | None = None


_UNTOLD = object()


class Cancel(Protocol):
    """What :meth:`LeaseService.hold` polls between attempts: a ``threading.Event`` will do."""

    def is_set(self) -> bool: ...


WaitCallback = Callable[[str, "Holder | None"], None]
"""``on_wait(host, holder)``: a host is held elsewhere (holder None when unknown)."""


class LeaseService:
    """A started tooz coordinator and the leases this process holds through it.

    Call order: :meth:`start` (or ``with``), then any number of :meth:`hold` /
    :meth:`release` pairs (from several threads), :meth:`holder`, :meth:`states`,
    then :meth:`stop`, which releases whatever is still held.
    """

    def __init__(self, url: str, *, runner: str | None = None, pid: int | None = None,
                 poll: float = POLL_SECONDS) -> None:
        self.url = url
        self.runner = runner or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self.poll = poll
        self.member = f"{self.runner}/{self.pid}/{uuid.uuid4().hex[:8]}"
        self._polled = drivers.scheme(url) in drivers.POLLED
        self._coord: Any = None
        self._locks: dict[str, Any] = {}
        self._mutex = threading.Lock()
        self._records = True  # False once the driver turns out to have no groups
        self._held: list[Held] = []

    # ------------------------------------------------------------------ life cycle

    def start(self) -> LeaseService:
        bad = urls.problem(self.url, from_secret=True)
        if bad is not None:
            raise LeaseBackendError(f"coordination URL {urls.display(self.url)} {bad}")
        try:
            from tooz import coordination
        except ImportError as exc:  # pragma: no cover -- tooz is a requirement
            raise LeaseBackendError(f"host leases need tooz (pip install tooz): {exc}") from None
        for problem in (drivers.prepare_folder(self.url), drivers.unreachable(self.url)):
            if problem is not None:
                raise LeaseBackendError(problem)
        try:
            url = urls.driver_url(self.url)
            # group calls run in the calling thread: no executor thread to wind down at stop
            options = {} if "executor=" in url else {"executor": "synchronous"}
            self._coord = coordination.get_coordinator(url, self.member.encode(), **options)
            self._coord.start(start_heart=True)
        except Exception as exc:  # stevedore, tooz and the driver's client each raise their own
            self._coord = None
            raise LeaseBackendError(self._why(exc)) from None
        return self

    def stop(self) -> None:
        """Release every lease still held, leave the groups, stop the heartbeat."""
        for held in list(self._held):
            self.release(held)
        if self._coord is not None:
            try:
                self._coord.stop()
            except Exception as exc:  # noqa: BLE001 -- shutting down: report, go on
                log.warning("stopping the coordinator of %s: %s", urls.display(self.url), exc)
            self._coord = None

    def __enter__(self) -> LeaseService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _why(self, exc: BaseException) -> str:
        name = type(exc).__name__
        text = str(exc) or name
        if name == "NoMatches" or isinstance(exc, ImportError):
            scheme = self.url.split(":", 1)[0]
            text = (f"the tooz driver {scheme}:// cannot be loaded (is its client package installed? "
                    f"{text})")
        return f"coordination service {urls.display(self.url)}: {text}"

    # ------------------------------------------------------------------ leases

    def _new_lock(self, host: str) -> Any:
        # A fresh lock object per attempt: tooz's file lock counts a failed attempt as a
        # reference, and an object that failed once would never read as released.
        try:
            return self._coord.get_lock(urls.lock_name(host).encode())
        except Exception as exc:
            raise LeaseBackendError(self._why(exc), host=host) from None

    def hold(self, hosts: Iterable[str], *, run_id: str = "", scenario: str = "",
             cancel: Cancel | None = None, on_wait: WaitCallback | None = None) -> Held:
        """Take the lease of every host, waiting for those held elsewhere.

        Hosts are taken in the order of their lock names (no deadlock between
        processes that all do so). ``on_wait`` is called when a host turns out to be
        held elsewhere and again when another holder takes over (a record that only
        vanishes is not told again). Raises
        :class:`LeaseWaitCancelled` when ``cancel`` is set while waiting (nothing is
        then held) and :class:`LeaseBackendError` when the service fails.
        """
        if self._coord is None:
            raise LeaseBackendError("the lease service is not started")
        order = sorted(dict.fromkeys(hosts), key=urls.lock_name)
        taken: list[str] = []
        try:
            for host in order:
                self._take(host, cancel, on_wait)
                taken.append(host)
                # recorded at once: whoever waits for this host while we wait for the next
                # one sees us; ``since`` is when this host was taken (the newest record wins)
                self._record(host, Holder(self.runner, self.pid, run_id, scenario, time.time()))
            held = Held(tuple(taken), Holder(self.runner, self.pid, run_id, scenario, time.time()))
        except BaseException:
            for host in reversed(taken):
                self._leave(host)
                self._unlock(host)
            raise
        with self._mutex:
            self._held.append(held)
        return held

    def _take(self, host: str, cancel: Cancel | None, on_wait: WaitCallback | None) -> None:
        told: object = _UNTOLD
        wait = 0.0
        while True:
            if cancel is not None and cancel.is_set():
                raise LeaseWaitCancelled(host)
            lock = self._new_lock(host)
            try:
                got = drivers.attempt(lock, wait, self._polled)
            except Exception as exc:
                raise LeaseBackendError(self._why(exc), host=host) from None
            if got:
                with self._mutex:
                    self._locks[host] = lock
                return
            wait = self.poll
            holder = self.holder(host)
            # a record gone while the lock is still held (its holder is releasing, or the
            # record lapsed) says nothing new: only the first wait is told "no record"
            if holder is None and told is not _UNTOLD:
                continue
            if on_wait is not None and told != holder:
                on_wait(host, holder)
            told = holder

    def release(self, held: Held) -> list[str]:
        """Give the hosts back; returns the hosts whose lease had lapsed meanwhile
        (held past its TTL without a heartbeat; logged as a warning)."""
        with self._mutex:
            if held in self._held:
                self._held.remove(held)
        lapsed = []
        for host in reversed(held.hosts):
            # the record first: the next holder may be this process (one member, many
            # threads), which cannot join a group it has not left yet
            self._leave(host)
            if not self._unlock(host):
                lapsed.append(host)
        if lapsed:
            log.warning("the lease of %s had lapsed before %s released it", ", ".join(lapsed),
                        held.holder.scenario or "the run")
        return lapsed

    def _unlock(self, host: str) -> bool:
        with self._mutex:
            lock = self._locks.pop(host, None)
        if lock is None:
            return False
        try:
            return bool(lock.release())
        except Exception as exc:  # noqa: BLE001 -- the TTL frees it anyway
            log.warning("releasing the lease of %s: %s", host, self._why(exc))
            return False
        finally:
            drivers.drop_lease(lock, self._polled)

    # ------------------------------------------------------------------ holder records

    def _record(self, host: str, holder: Holder) -> None:
        if not self._records:
            return
        import tooz
        from tooz import coordination

        group = urls.lock_name(host).encode()
        try:
            for _attempt in range(5):  # tooz's join_group_create sleeps a second on a new group
                try:
                    self._coord.join_group(group, capabilities=holder.to_dict()).get()
                    return
                except coordination.GroupNotCreated:
                    try:
                        self._coord.create_group(group).get()
                    except coordination.GroupAlreadyExist:
                        pass
            raise LeaseBackendError(f"cannot join the record group of {host}", host=host)
        except tooz.NotImplemented:
            self._records = False
        except LeaseBackendError:
            raise
        except Exception as exc:
            raise LeaseBackendError(self._why(exc), host=host) from None

    def _leave(self, host: str) -> None:
        if not self._records:
            return
        try:
            self._coord.leave_group(urls.lock_name(host).encode()).get()
        except Exception as exc:  # noqa: BLE001 -- not joined, or the record expires anyway
            log.debug("leaving the record group of %s: %s", host, exc)

    def holder(self, host: str) -> Holder | None:
        """Who holds ``host`` as its record says (None: no record, or the driver keeps none)."""
        if not self._records or self._coord is None:
            return None
        import tooz
        from tooz import coordination

        try:
            members = self._coord.get_members_with_capabilities(urls.lock_name(host).encode()).get()
        except coordination.GroupNotCreated:
            return None
        except tooz.NotImplemented:
            self._records = False
            return None
        except Exception as exc:
            raise LeaseBackendError(self._why(exc), host=host) from None
        holders = [h for h in (Holder.from_record(caps) for caps in members.values()) if h is not None]
        return max(holders, key=lambda h: h.since, default=None)

    def states(self, hosts: Iterable[str]) -> list[HostState]:
        """Held or free, and by whom, for each host: a held lock cannot be taken for an
        instant (free ones are taken and given back at once)."""
        out = []
        for host in hosts:
            lock = self._new_lock(host)
            try:
                free = lock.acquire(blocking=False)
                if free:
                    lock.release()
            except Exception as exc:
                raise LeaseBackendError(self._why(exc), host=host) from None
            finally:
                drivers.drop_lease(lock, self._polled)
            out.append(HostState(host, False) if free else HostState(host, True, self.holder(host)))
        return out
