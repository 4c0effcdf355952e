"""An experiment's timeline: marks (fault, recovery, notes) and the per-second plot."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .loadgen import Sample, per_second

# Fixed colours, so a reader (and the tests) can tell the series apart.
OK_COLOR = "#2ca02c"
FAILED_COLOR = "#d62728"
MARK_COLORS = {"fault": "#9467bd", "recovery": "#1f77b4", "info": "#7f7f7f"}


@dataclass(frozen=True)
class Mark:
    t: float  # seconds since the load started
    label: str
    kind: str = "info"  # fault, recovery or info


def write_marks(marks: Iterable[Mark], path: Path) -> None:
    path.write_text(json.dumps([asdict(m) for m in marks], indent=2) + "\n")


def read_marks(path: Path) -> list[Mark]:
    return [Mark(**entry) for entry in json.loads(path.read_text())]


def plot_timeline(samples: list[Sample], marks: list[Mark], out_png: Path, title: str,
                  width_px: int = 1200, height_px: int = 500) -> Path:
    """Stacked bars of succeeded and failed requests per second, with vertical lines at the marks."""
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on servers and CI
    from matplotlib import pyplot

    seconds = per_second(samples)
    dpi = 100
    figure, axes = pyplot.subplots(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    try:
        xs = [second for second, _, _ in seconds]
        ok = [count for _, count, _ in seconds]
        failed = [count for _, _, count in seconds]
        axes.bar(xs, ok, width=1.0, align="edge", color=OK_COLOR, label="succeeded", linewidth=0)
        axes.bar(xs, failed, width=1.0, align="edge", bottom=ok, color=FAILED_COLOR, label="failed", linewidth=0)
        top = max((a + b for a, b in zip(ok, failed)), default=1) or 1
        for mark in marks:
            color = MARK_COLORS.get(mark.kind, MARK_COLORS["info"])
            axes.axvline(mark.t, color=color, linestyle="--", linewidth=1.5)
            axes.text(mark.t, top * 1.58, f"{mark.label} ", rotation=90, va="top", ha="right",
                      fontsize=8, color=color, bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})
        axes.set_ylim(0, top * 1.6)
        axes.set_xlim(0, max(xs[-1] + 1 if xs else 1, max((m.t for m in marks), default=0) + 1))
        axes.set_xlabel("seconds since the load started")
        axes.set_ylabel("requests per second")
        total = sum(ok) + sum(failed)
        ratio = f"{sum(ok) / total:.2%}" if total else "n/a"
        axes.set_title(f"{title} (success {ratio} of {total} requests)")
        axes.legend(loc="upper right")
        figure.tight_layout()
        out_png.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out_png, format="png", dpi=dpi)
    finally:
        pyplot.close(figure)
    return out_png
