"""This process's memory as the kernel sees it (what a cgroup memory limit counts).

VmRSS is the resident set now; VmHWM its peak ("high water mark"). Writing 5 to
/proc/self/clear_refs resets the peak (Linux >= 4.0), so the peak of one request
can be measured on its own.
"""

from __future__ import annotations

from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in {STATUS}")


def rss_bytes() -> int:
    return _status_kib("VmRSS") * 1024


def peak_rss_bytes() -> int:
    return _status_kib("VmHWM") * 1024


def reset_peak() -> bool:
    """Start a new peak measurement; False if the kernel refused (peak is then since start)."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True
