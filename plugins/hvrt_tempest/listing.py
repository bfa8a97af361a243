"""Listing the tests a Tempest knows, and the controller-side caches that make it cheap.

``tempest run --list-tests`` imports every test module (seconds per run, before any
test starts), and every Tempest process scans its plugins' entry points unless
stevedore finds them in ``$XDG_CACHE_HOME``. Both answers only change when the
installation changes, so the runner keeps them on the controller between runs:

* :func:`prepare_cache` makes ``<workspace root>/.cache-<uid>`` (mode 0700) and
  hands it back only when it is a real folder of the controller user that neither
  group nor others may write; the runner then points ``XDG_CACHE_HOME`` there for
  every Tempest command. Otherwise (or with ``list_cache: false``) a run gets a fresh
  folder of its own, as before.
* :func:`list_workspace` lists from the run's workspace and keeps the output under
  ``<cache>/hvrt-list-tests/<key>.list``. The key is a SHA-256 of the Tempest
  command, the workspace's ``.stestr.conf``, the scenario's ``tempest.conf`` (as
  uploaded, before ``tempest init`` adds the workspace's paths), the entries of the
  ``site-packages`` of the Tempest command's interpreter (every distribution's
  ``.dist-info``, hence Tempest's and its plugins' versions) and the size and time of every ``.py`` file
  under stestr's ``top_dir`` and ``test_path``. A plugin installed in editable mode
  from a folder elsewhere is only seen through its ``.dist-info``: after editing its
  tests, set ``list_cache: false`` (or remove the cache folder). Selection
  (:mod:`hvrt_tempest.selection`) runs on every listing, cached or not, so the
  suite's lists always apply as they are now.

Values reach the scripts as positional arguments, never inside their text.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hvrt.errors import TestRunError
from hvrt_tempest.selection import parse_listing

CACHE_HIT = "hvrt-list-cache: hit"
_LIST_SCRIPT = (
    'set -e; d=$(mktemp -d "${TMPDIR:-/tmp}/hvrt-list-tests.XXXXXX"); trap \'rm -rf "$d"\' EXIT; '
    'export XDG_CACHE_HOME="$d/.cache"; cd "$d"; '
    '"$@" init --workspace-path "$d/workspaces.yaml" "$d/workspace" >/dev/null; '
    'cd "$d/workspace"; "$@" run --list-tests'
)
"""Lists the tests a Tempest knows from a scratch workspace (removed afterwards)."""

_PREPARE_SCRIPT = (
    'mkdir -p -- "$1" || exit 1; [ "$3" = yes ] || exit 0; c="$2/.cache-$(id -u)"; '
    '(umask 077 && mkdir -p -- "$c/hvrt-list-tests") 2>/dev/null; '
    'for f in "$c" "$c/hvrt-list-tests"; do '
    '[ -d "$f" ] && [ ! -L "$f" ] && [ -O "$f" ] || exit 0; '
    '[ -z "$(find "$f" -prune \\( -perm -020 -o -perm -002 \\) -print)" ] || exit 0; done; '
    'printf "%s\\n" "$c"'
)
"""Makes the workspace's parent ($1) and, when asked ($3), the shared cache under the
root ($2); prints the cache's path only when it is safe to use."""

_CACHED_LIST_SCRIPT = (
    'd=$1; ws=$2; conf=$3; src=$4; shift 4; cd "$ws" || exit 1; key=; '
    'if [ -n "$d" ] && command -v sha256sum >/dev/null 2>&1; then '
    'top=$(sed -n "s/^top_dir=//p" .stestr.conf); tp=$(sed -n "s/^test_path=//p" .stestr.conf); '
    'py=$1; case $(head -c 2 -- "$(command -v -- "$1")" 2>/dev/null) in "#!") '
    'py=$(sed -n "1s/^#! *\\([^ ]*\\).*/\\1/p" -- "$(command -v -- "$1")");; esac; '
    'site=$("$py" -c "import sysconfig; print(sysconfig.get_path(\'purelib\'))" 2>/dev/null); '
    'fp=$(mktemp "$d/fp.XXXXXX") && [ -d "$site" ] && '
    '{ printf "%s\\n" "$@" && cat .stestr.conf "$src" && ls -lnA --full-time -- "$site" && '
    'find "$top" "$tp" -name __pycache__ -prune -o -name "*.py" -exec ls -ln --full-time -- {} + ; '
    '} >"$fp" 2>/dev/null && [ -n "$top" ] && key=$(sha256sum <"$fp" | cut -c1-64); rm -f "$fp"; fi; '
    'f="$d/$key.list"; '
    'if [ -n "$key" ] && [ -s "$f" ]; then echo "' + CACHE_HIT + ' $key" >&2; exec cat -- "$f"; fi; '
    'if [ -z "$key" ]; then exec "$@" run --list-tests --config-file "$conf"; fi; '
    'find "$d" -maxdepth 1 -name "*.list" -mtime +30 -exec rm -f -- {} + 2>/dev/null; '
    't=$(mktemp "$d/new.XXXXXX") || exit 1; "$@" run --list-tests --config-file "$conf" >"$t"; rc=$?; '
    'if [ "$rc" = 0 ] && grep -q "^[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_]" "$t"; then mv -f -- "$t" "$f"; t=$f; fi; '
    'cat -- "$t"; [ "$t" = "$f" ] || rm -f -- "$t"; exit "$rc"'
)
"""Prints the listing of workspace $2 with tempest.conf $3, from cache folder $1 when
its key (which reads tempest.conf as $4, before ``tempest init`` wrote the
workspace's own paths into it) matches (saying so on stderr), else from ``tempest run --list-tests``, kept
for next time when it exited 0 and listed tests. An empty $1 (or no ``sha256sum``)
lists without caching. Listings unused for 30 days are removed."""


def list_available(transport: Any, command: Sequence[str], timeout: float) -> list[str]:
    """The test ids ``tempest run --list-tests`` prints on the host of ``transport``,
    from a throw-away workspace (no cloud needed). Raises :class:`TestRunError`."""
    result = transport.run(["sh", "-c", _LIST_SCRIPT, "hvrt-list-tests", *command], timeout=timeout)
    if not result.ok:
        raise TestRunError(f"tempest run --list-tests exited {result.exit_code}", host=transport.host_name,
                           step="list-tests", detail=result.tail(20))
    ids = parse_listing(result.stdout)
    if not ids:
        raise TestRunError("tempest run --list-tests listed no test", host=transport.host_name,
                           step="list-tests", detail=result.tail(20))
    return ids


def prepare_cache(transport: Any, parent: str, root: str, *, shared: bool, timeout: float) -> str | None:
    """Make the folder ``parent`` and, when ``shared``, the controller user's cache
    under ``root``. Returns the cache's path, or ``None`` where it is not safe (not
    owned by the user, a link, writable by group or others) or not wanted.
    Raises :class:`TestRunError` when ``parent`` cannot be made."""
    result = transport.run(["sh", "-c", _PREPARE_SCRIPT, "hvrt-tempest-cache", parent, root,
                            "yes" if shared else "no"], timeout=timeout)
    if not result.ok:
        raise TestRunError(f"mkdir exited {result.exit_code}", host=transport.host_name, step="test",
                           detail=result.tail(20))
    path = result.stdout.strip()
    return path or None


def list_workspace(
    transport: Any, command: Sequence[str], workspace: str, conf_path: str, conf_source: str,
    cache: str | None, *, timeout: float, env: dict[str, str],
) -> tuple[Any, bool]:
    """Run ``tempest run --list-tests`` in ``workspace`` with ``conf_path``, or take its
    output from the cache folder ``cache`` (``None``: always list); ``conf_source`` is
    the tempest.conf the workspace was made from (the cache key reads it). Returns the
    transport's result and whether the listing came from the cache; the caller checks
    ``result.ok``."""
    folder = f"{cache}/hvrt-list-tests" if cache else ""
    result = transport.run(["sh", "-c", _CACHED_LIST_SCRIPT, "hvrt-list-tests", folder, workspace, conf_path,
                            conf_source, *command], timeout=timeout, env=env)
    return result, result.ok and CACHE_HIT in (result.stderr or "")
