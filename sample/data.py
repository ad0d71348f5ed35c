"""The sample data, split like the seed: training part 1 (trains v1), part 2 (newly labelled data
added before retraining), a clean batch, and a drifted batch.

Source: the Wisconsin diagnostic breast-cancer data bundled with scikit-learn (569 rows, 30 numeric
features; no download). Label 1 = malignant, 0 = benign (the severity the seed's model predicts).
Everything is derived with fixed seeds, so the files are the same on every machine; they are
generated, not committed (`python -m sample.data --out DIR` writes them).

The drifted batch holds the clean batch's rows with three features shifted (a scanner recalibrated:
`mean_radius` x1.35, `mean_texture` +6, `worst_area` x1.6) and a few outliers. Same columns, same
types, no missing value: it must be classified as **drift** by the analyzer's default Robust check,
never as a data-quality failure.

For users with the UCI mammographic-masses file (`mammographic_masses.data`, the seed's data),
`load_mammographic_masses(path)` gives the same shape (label = Severity).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

HOLDOUT_FRACTION = 0.2  # the batches (the seed took 5%; drift needs enough rows to be significant)
PART2_FRACTION = 0.1  # newly labelled data, as in the seed
SEED = 200  # the seed's random_state
SHIFTS = {"mean_radius": ("mul", 1.35), "mean_texture": ("add", 6.0), "worst_area": ("mul", 1.6)}
OUTLIER_ROWS = 3
MAMMO_FEATURES = ["birads", "age", "shape", "margin", "density"]
MAMMO_SHIFTS = {"age": ("add", 15.0), "density": ("mul", 1.5), "birads": ("add", 1.0)}


@dataclass(frozen=True)
class SampleData:
    feature_names: list[str]
    part1: list[list[str]]  # label first
    part2: list[list[str]]
    batch_clean: list[list[str]]  # features only
    batch_drift: list[list[str]]

    def files(self) -> dict[str, str]:
        """File name -> CSV text: training parts with header `label,...`; batches headerless."""
        header = ["label", *self.feature_names]
        return {
            "breast-cancer-part1.csv": to_csv(self.part1, header),
            "breast-cancer-part2.csv": to_csv(self.part2, header),
            "batch-clean.csv": to_csv(self.batch_clean),
            "batch-drift.csv": to_csv(self.batch_drift),
        }


def fmt(value: float) -> str:
    """Decimal text that always reads as a fractional number (never `1001`, never `1e-05`)."""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def to_csv(rows: list[list[str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _stratified_take(rows: list[list[str]], fraction: float, rng: random.Random) -> tuple[list, list]:
    taken, kept = [], []
    for label in ("0", "1"):
        group = [r for r in rows if r[0] == label]
        rng.shuffle(group)
        n = round(len(group) * fraction)
        taken += group[:n]
        kept += group[n:]
    rng.shuffle(taken)
    rng.shuffle(kept)
    return taken, kept


def _drifted(
    batch: list[list[str]],
    names: list[str],
    rng: random.Random,
    shifts: dict[str, tuple[str, float]],
    outlier: str,
) -> list[list[str]]:
    index = {n: i for i, n in enumerate(names)}
    out: list[list[float]] = []
    for row in batch:
        values = [float(v) for v in row]
        for name, (how, amount) in shifts.items():
            i = index[name]
            values[i] = values[i] * amount if how == "mul" else values[i] + amount
        out.append(values)
    for extreme in rng.sample(out, OUTLIER_ROWS):  # a few extreme readings on top
        extreme[index[outlier]] *= 3
    return [[fmt(v) for v in row] for row in out]


def split_like_the_seed(
    names: list[str], rows: list[list[str]], shifts: dict[str, tuple[str, float]], outlier: str
) -> SampleData:
    rng = random.Random(SEED)
    holdout, rest = _stratified_take(rows, HOLDOUT_FRACTION, rng)
    part2, part1 = _stratified_take(rest, PART2_FRACTION, rng)
    batch = [r[1:] for r in holdout]
    return SampleData(names, part1, part2, batch, _drifted(batch, names, rng, shifts, outlier))


def breast_cancer() -> SampleData:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    names = [str(n).replace(" ", "_") for n in bunch.feature_names]
    # scikit-learn's target is 1 = benign; the model predicts malignancy.
    rows = [
        [str(1 - int(t)), *(fmt(float(v)) for v in x)] for x, t in zip(bunch.data, bunch.target, strict=True)
    ]
    return split_like_the_seed(names, rows, SHIFTS, "mean_radius")


def load_mammographic_masses(path: str | Path) -> SampleData:
    """The UCI mammographic-masses file (BI-RADS, age, shape, margin, density, severity; `?` = missing).

    Rows with a missing value are dropped (the seed imputed medians; a baseline built on imputed
    data would hide completeness problems). The same split and drift recipe as the sample apply,
    with the shifts on `age` (+15), `density` (x1.5) and `birads` (+1) instead.
    """
    rows = []
    for line in Path(path).read_text().splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 6 or "?" in fields:
            continue
        *features, severity = fields
        rows.append([str(int(severity)), *(fmt(float(v)) for v in features)])
    if not rows:
        raise ValueError(f"{path}: no complete row of 6 comma-separated fields")
    return split_like_the_seed(MAMMO_FEATURES, rows, MAMMO_SHIFTS, "age")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample.data", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder to write the four CSV files to")
    parser.add_argument("--mammographic-masses", help="use this UCI mammographic_masses.data file instead")
    args = parser.parse_args(argv)
    data = load_mammographic_masses(args.mammographic_masses) if args.mammographic_masses else breast_cancer()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in data.files().items():
        (out / name).write_text(text)
        print(f"{out / name}: {text.count(chr(10))} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
