"""Marker files that make a test fail on its first run only."""
import os


def first_time(name):
    """True the first time ``name`` is asked for (per HVRT_SAMPLE_STATE folder)."""
    folder = os.environ.get("HVRT_SAMPLE_STATE")
    if not folder:
        return False
    marker = os.path.join(folder, name + ".seen")
    if os.path.exists(marker):
        return False
    os.makedirs(folder, exist_ok=True)
    with open(marker, "w") as fh:
        fh.write("seen\n")
    return True


def broken_enabled():
    return os.environ.get("HVRT_SAMPLE_BROKEN", "1") != "0"
