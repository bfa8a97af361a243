"""The table ``hvrt run`` prints when a run ends (one row per scenario)."""
from __future__ import annotations

from tabulate import tabulate

from hvrt.results import RunSummary
from hvrt_html.html import duration

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
