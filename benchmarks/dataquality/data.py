"""Benchmark data with a fixed seed: 10 numeric + 2 categorical columns, three of them shifted in the batch.

Shifted in the batch: ``num_3`` mean +0.5 sd, ``num_7`` sd x2, ``cat_1`` category mix changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

SEED = 20261123
N_NUMERIC = 10
SHIFTED = ("num_3", "num_7", "cat_1")
CATEGORIES = ["alpha", "beta", "gamma", "delta"]
CAT_P = {"cat_0": [0.4, 0.3, 0.2, 0.1], "cat_1": [0.5, 0.3, 0.15, 0.05]}
CAT_1_SHIFTED = [0.3, 0.3, 0.25, 0.15]  # L-inf 0.2 from the reference mix
CHUNK_ROWS = 1_000_000


def _chunk(rng: np.random.Generator, n: int, shifted: bool) -> pa.Table:
    cols: dict[str, np.ndarray] = {}
    for i in range(N_NUMERIC):
        loc, scale = 10.0 * i, 1.0 + i
        mean = loc + (0.5 * scale if shifted and i == 3 else 0.0)
        sd = scale * (2.0 if shifted and i == 7 else 1.0)
        cols[f"num_{i}"] = np.round(rng.normal(mean, sd, n), 4)
    for name, p in CAT_P.items():
        probs = CAT_1_SHIFTED if shifted and name == "cat_1" else p
        cols[name] = np.asarray(CATEGORIES)[rng.choice(len(CATEGORIES), n, p=probs)]
    return pa.table(cols)


def write(path: Path, rows: int, *, shifted: bool, seed: int) -> Path:
    """Write ``rows`` rows (header included) in chunks; kept if already there with the same size tag."""
    tag = path.with_suffix(".ok")
    if path.exists() and tag.exists() and tag.read_text() == f"{rows},{shifted},{seed}":
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    writer = None
    done = 0
    try:
        while done < rows:
            n = min(CHUNK_ROWS, rows - done)
            table = _chunk(rng, n, shifted)
            if writer is None:
                writer = pacsv.CSVWriter(str(path), table.schema)
            writer.write_table(table)
            done += n
    finally:
        if writer is not None:
            writer.close()
    tag.write_text(f"{rows},{shifted},{seed}")
    return path
