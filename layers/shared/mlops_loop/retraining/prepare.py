"""PrepareTrainingData: every labelled CSV under the training prefix -> the channels of one run.

Which CSVs: all of them (`TrainingDataWindow` `All`, the default), or, with
`SinceModelQualityDegradation`, those written since the newest model-quality degradation's labelled
rows (`training_window`; docs/model-quality.md, "Retraining after a degradation").
Input CSVs have a header `label,<feature>,...` with labels 0/1 (docs/architecture.md). They are
concatenated in key order and split, per class, with a fixed seed into train / validation / test
(70/15/15): the same data always gives the same split. Values are copied as text, never re-formatted,
so the baseline sees the same types as the data. Writes, under `retraining/<runId>/`:

* `train/train.csv`, `validation/validation.csv`: label first, no header (built-in XGBoost's CSV);
* `test/test.csv`: features only, no header (batch-transform input); `test-labels/test-labels.csv`;
* `baseline-data/baseline-data.csv`: the training features with their header (for the baseline).

Standard library only: it runs without the numpy layer.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import msgspec

from mlops_loop import aws
from mlops_loop.models.retraining import PreparedData, PrepareRequest
from mlops_loop.registry import GroupRef
from mlops_loop.retraining import names
from mlops_loop.retraining.errors import InsufficientTrainingData, InvalidTrainingData, NoTrainingData
from mlops_loop.s3uri import S3Uri

SPLIT_SEED = 20261124
VALIDATION_FRACTION = 0.15
TEST_FRACTION = 0.15
MIN_ROWS_PER_CLASS = 5
LABEL_COLUMN = "label"
_LABELS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1}

Row = list[str]

#: Where the model-quality check adds a degraded run's labelled rows, under the training prefix:
#: `<training prefix>ground-truth/<group>/v<version>/<run id>.csv` (mlops_loop.model_quality.actions).
LABELLED_ROWS_FOLDER = "ground-truth"
TrainingDataWindow = Literal["All", "SinceModelQualityDegradation"]


def labelled_rows_folder(training_data_s3_uri: str, group: str) -> S3Uri:
    """`<training prefix>ground-truth/<group name>` (a cross-account group's ARN gives its name)."""
    return S3Uri.parse(training_data_s3_uri).join(LABELLED_ROWS_FOLDER, GroupRef.parse(group).name)


@dataclass(frozen=True)
class TrainingObject:
    key: str
    last_modified: datetime


@dataclass(frozen=True)
class Window:
    """The objects a run trains on; `start` is None when it is all of them."""

    objects: list[TrainingObject]
    start: datetime | None = None
    degraded_version: int | None = None


def training_window(
    objects: Sequence[TrainingObject], rows_folder_key: str, policy: TrainingDataWindow
) -> Window:
    """`All`: every object. `SinceModelQualityDegradation`: the objects written at or after the
    first labelled rows of the newest degraded version (the highest `v<N>` under `rows_folder_key`).

    Why that point: a degradation's labels show the relation between features and label changed, so
    the data written before them follows the old rule (a model trained on both learns neither). All of
    the version's degraded runs follow the new rule; rows of older versions' degradations were what
    that version was trained on, so they are past too. Data added since (newer labels) stays in.
    No degradation yet: every object (nothing says any data is stale)."""
    everything = sorted(objects, key=lambda o: o.key)
    if policy == "All":
        return Window(everything)
    folder = rows_folder_key.rstrip("/") + "/v"
    by_version: dict[int, list[TrainingObject]] = {}
    for o in everything:
        version, _, rest = o.key[len(folder) :].partition("/") if o.key.startswith(folder) else ("", "", "")
        if version.isdigit() and rest:
            by_version.setdefault(int(version), []).append(o)
    if not by_version:
        return Window(everything)
    newest = max(by_version)
    start = min(o.last_modified for o in by_version[newest])
    return Window([o for o in everything if o.last_modified >= start], start, newest)


@dataclass(frozen=True)
class LabelledData:
    header: list[str]  # label first
    rows: list[Row]

    @property
    def feature_names(self) -> list[str]:
        return self.header[1:]


@dataclass(frozen=True)
class Split:
    header: list[str]
    train: list[Row]
    validation: list[Row]
    test: list[Row]


def parse_labelled_csv(text: str, source: str, header: list[str] | None = None) -> LabelledData:
    """Parse one CSV with header; `header` (from an earlier file) must match when given."""
    reader = csv.reader(io.StringIO(text))
    own = next(reader, None)
    if own is None:
        raise InvalidTrainingData(f"{source}: empty file (expected a header `label,<feature>,...`)")
    own = [c.strip() for c in own]
    if not own or own[0] != LABEL_COLUMN or len(own) < 2:
        raise InvalidTrainingData(f"{source}: the header must start with `{LABEL_COLUMN}` then the features")
    if header is not None and own != header:
        raise InvalidTrainingData(
            f"{source}: its header differs from the first file's ({len(own)} vs {len(header)} columns)"
        )
    rows: list[Row] = []
    for line, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(own):
            raise InvalidTrainingData(f"{source} line {line}: {len(row)} fields, the header has {len(own)}")
        label = row[0].strip()
        if label not in _LABELS:
            raise InvalidTrainingData(f"{source} line {line}: label must be 0 or 1")
        rows.append([str(_LABELS[label]), *(c.strip() for c in row[1:])])
    return LabelledData(own, rows)


def concatenate(parts: Iterable[LabelledData]) -> LabelledData:
    header: list[str] | None = None
    rows: list[Row] = []
    for part in parts:
        header = header or part.header
        rows.extend(part.rows)
    if header is None:
        raise NoTrainingData("no training data")
    return LabelledData(header, rows)


def split(data: LabelledData, seed: int = SPLIT_SEED) -> Split:
    """Stratified, seeded split: both classes reach every part; deterministic for the same rows."""
    by_class: dict[str, list[Row]] = {"0": [], "1": []}
    for row in data.rows:
        by_class[row[0]].append(row)
    for label, rows in by_class.items():
        if len(rows) < MIN_ROWS_PER_CLASS:
            raise InsufficientTrainingData(
                f"class {label} has {len(rows)} rows; at least {MIN_ROWS_PER_CLASS} per class are needed"
            )
    rng = random.Random(seed)
    train: list[Row] = []
    validation: list[Row] = []
    test: list[Row] = []
    for label in ("0", "1"):
        rows = list(by_class[label])
        rng.shuffle(rows)
        n_test = max(1, round(len(rows) * TEST_FRACTION))
        n_val = max(1, round(len(rows) * VALIDATION_FRACTION))
        test.extend(rows[:n_test])
        validation.extend(rows[n_test : n_test + n_val])
        train.extend(rows[n_test + n_val :])
    for part in (train, validation, test):
        rng.shuffle(part)
    return Split(data.header, train, validation, test)


def to_csv(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def channel_files(parts: Split) -> dict[str, tuple[str, str]]:
    """Channel folder -> (file name, CSV text), as the built-in XGBoost and the baseline want them."""
    features = parts.header[1:]
    return {
        "train": ("train.csv", to_csv(parts.train)),
        "validation": ("validation.csv", to_csv(parts.validation)),
        "test": ("test.csv", to_csv([r[1:] for r in parts.test])),
        "test-labels": ("test-labels.csv", to_csv([[r[0]] for r in parts.test])),
        "baseline-data": ("baseline-data.csv", to_csv([r[1:] for r in parts.train], header=features)),
    }


def list_csv_objects(prefix: S3Uri) -> list[TrainingObject]:
    s3 = aws.s3()
    found: list[TrainingObject] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=prefix.bucket, Prefix=prefix.key):
        found.extend(
            TrainingObject(o["Key"], o["LastModified"])
            for o in page.get("Contents", [])
            if o["Key"].lower().endswith(".csv")
        )
    return sorted(found, key=lambda o: o.key)


def run_prefix(bucket: str, run_id: str) -> S3Uri:
    return S3Uri(bucket, f"retraining/{run_id}")


def _describe(window: Window) -> str:
    if window.start is None:
        return "All"
    return f"since {window.start.isoformat()} (the labelled rows of v{window.degraded_version}'s degradation)"


def prepare(
    request: PrepareRequest, artifacts_bucket: str, window_policy: TrainingDataWindow = "All"
) -> PreparedData:
    source = S3Uri.parse(request.training_data_s3_uri)
    rows_folder = labelled_rows_folder(request.training_data_s3_uri, request.model_package_group_name)
    window = training_window(list_csv_objects(source), rows_folder.key, window_policy)
    keys = [o.key for o in window.objects]
    if not keys:
        raise NoTrainingData(f"no .csv object under {request.training_data_s3_uri}")
    s3 = aws.s3()
    header: list[str] | None = None
    parts: list[LabelledData] = []
    for key in keys:
        text = s3.get_object(Bucket=source.bucket, Key=key)["Body"].read().decode("utf-8-sig")
        part = parse_labelled_csv(text, f"s3://{source.bucket}/{key}", header)
        header = part.header
        parts.append(part)
    parts_split = split(concatenate(parts))

    base = run_prefix(artifacts_bucket, request.run_id)
    for channel, (file_name, body) in channel_files(parts_split).items():
        target = base.join(channel, file_name)
        s3.put_object(Bucket=target.bucket, Key=target.key, Body=body.encode(), ContentType="text/csv")

    def folder(name: str) -> str:
        return f"{base.join(name)}/"

    return msgspec.convert(
        {
            "trainS3Uri": folder("train"),
            "validationS3Uri": folder("validation"),
            "testS3Uri": folder("test"),
            "testLabelsS3Uri": folder("test-labels"),
            "baselineDataS3Uri": folder("baseline-data"),
            "modelOutputS3Uri": folder("model"),
            "predictionsS3Uri": folder("test-predictions"),
            "evaluationS3Uri": str(base.join("evaluation", "evaluation.json")),
            "baselineS3Uri": folder("baseline"),
            "rows": {
                "train": len(parts_split.train),
                "validation": len(parts_split.validation),
                "test": len(parts_split.test),
            },
            "sourceObjects": [f"s3://{source.bucket}/{k}" for k in keys],
            "featureNames": parts_split.header[1:],
            "trainingWindow": _describe(window),
            **names.job_names(request.model_package_group_name, request.run_id),
        },
        PreparedData,
    )
