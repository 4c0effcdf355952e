"""The workload: generate a random dataset of the requested size and describe it.

Memory grows with rows x columns: the float64 matrix (8 bytes a cell), the
DataFrame built on it, and the temporaries pandas needs for quantiles (a sorted
copy per column) and the correlation matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _number(value: float) -> float | None:
    # std and correlation are undefined for one row (NaN): JSON gets null, not NaN.
    return float(value) if np.isfinite(value) else None


def describe(rows: int, columns: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((rows, columns))
    frame = pd.DataFrame(data, columns=[f"c{i}" for i in range(columns)])
    summary = frame.describe()
    corr = frame.corr().to_numpy()
    stats = {
        name: {stat: _number(summary.at[stat, name]) for stat in ("mean", "std", "min", "25%", "50%", "75%", "max")}
        for name in frame.columns
    }
    off_diagonal = corr[~np.eye(columns, dtype=bool)]
    return {
        "dataset_bytes": int(data.nbytes),
        "columns_stats": stats,
        "max_abs_correlation": _number(np.abs(off_diagonal).max()) if columns > 1 else None,
    }
