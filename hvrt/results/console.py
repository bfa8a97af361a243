"""The table ``hvrt run`` prints when a run ends (one row per scenario)."""
from __future__ import annotations

from tabulate import tabulate

from hvrt.results.model import RunSummary

_COLUMNS = ("passed", "failed", "error", "skipped", "flaky")


def console_table(summary: RunSummary) -> str:
    """Scenario, status, test counts, duration and product version, plus a total line."""
    rows = []
    for sc in summary.scenarios:
        counts = sc.counts()
        rows.append([sc.name, sc.status.value, *(counts[c] for c in _COLUMNS), counts["total"],
                     duration(sc.duration), sc.product_version or ""])
    totals = summary.counts()
    rows.append(["total", f"{len(summary.scenarios)} scenarios", *(totals.get(c, 0) for c in _COLUMNS),
                 totals.get("total", 0), "", ""])
    headers = ["scenario", "status", *_COLUMNS, "total", "duration", "version"]
    align = ["left", "left", *(["right"] * (len(_COLUMNS) + 2)), "left"]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True, colalign=align)


def duration(seconds: float) -> str:
    """``12.3s``, ``4m 05s`` or ``2h 03m``: durations as reports and the console show them."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {sec:02d}s"
