"""The join of a run's predictions with their ground truth (docs/model-quality.md, "The join").

Pure: the caller reads the objects, this decides which label goes with which prediction and
counts every row that does not make it into the metrics. By id when the label objects carry the id
column (and the predictions their record's id: `<id>,...,<score>`, the transform's joined output);
by row order, the documented fallback, when they carry no id column.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mlops_loop.model_quality.errors import InvalidLabels, InvalidPredictions, PredictionsWithoutIds

LABEL_COLUMN = "label"
SAMPLE_SIZE = 10  # unmatched ids and invalid labels listed in the verdict (all are counted)
_BINARY_LABELS = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0}

JoinedBy = Literal["id", "row_order"]


@dataclass(frozen=True)
class Prediction:
    """One prediction: where it stands (object, 1-based line), its record's id if it has one, its value."""

    source: str
    line: int
    id: str | None
    value: float


def parse_predictions(source: str, text: str) -> list[Prediction]:
    """A transform output object: one line per record, `<score>` or `<id>,...,<score>`."""
    out: list[Prediction] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        fields = line.split(",")
        try:
            value = float(fields[-1].strip().strip("[]"))
        except ValueError:
            raise InvalidPredictions(
                f"{source} line {number}: {line[:80]!r} does not end in a number"
            ) from None
        if not math.isfinite(value):
            raise InvalidPredictions(f"{source} line {number}: the prediction is not a finite number")
        out.append(Prediction(source, number, fields[0].strip() if len(fields) > 1 else None, value))
    return out


def predictions_in_order(objects: Iterable[tuple[str, str]]) -> list[Prediction]:
    """Every prediction of the run, objects by key, lines in order; ids on all lines or on none."""
    rows = [p for source, text in sorted(objects) for p in parse_predictions(source, text)]
    with_id = sum(1 for p in rows if p.id is not None)
    if 0 < with_id < len(rows):
        raise InvalidPredictions(
            f"{with_id} of {len(rows)} prediction lines carry an id: the run's output is mixed"
        )
    return rows


@dataclass(frozen=True)
class LabelObject:
    key: str
    last_modified: datetime
    text: str


@dataclass(frozen=True)
class _LabelRow:
    key: str
    line: int
    id: str | None
    text: str


@dataclass
class JoinCounts:
    """Where every row went (the verdict's, the mail's and the event's `rows`)."""

    predictions: int = 0
    label_rows: int = 0
    matched: int = 0
    unmatched_labels: int = 0
    unlabelled_predictions: int = 0
    duplicate_labels: int = 0
    corrected_labels: int = 0
    ambiguous_ids: int = 0
    invalid_labels: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "predictions": self.predictions,
            "labelRows": self.label_rows,
            "matched": self.matched,
            "unmatchedLabels": self.unmatched_labels,
            "unlabelledPredictions": self.unlabelled_predictions,
            "duplicateLabels": self.duplicate_labels,
            "correctedLabels": self.corrected_labels,
            "ambiguousIds": self.ambiguous_ids,
            "invalidLabels": self.invalid_labels,
        }


@dataclass(frozen=True)
class Joined:
    prediction: Prediction
    label: float


@dataclass
class JoinResult:
    joined_by: JoinedBy
    rows: list[Joined]
    counts: JoinCounts
    unmatched_label_ids: list[str] = field(default_factory=list)
    invalid_label_examples: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "joinedBy": self.joined_by,
            **self.counts.to_dict(),
            "unmatchedLabelIds": self.unmatched_label_ids,
            "invalidLabelExamples": self.invalid_label_examples,
        }


def _read_rows(obj: LabelObject, id_column: str) -> tuple[bool, list[_LabelRow]]:
    """(has the id column, the rows); InvalidLabels without a header naming `label`."""
    reader = csv.reader(io.StringIO(obj.text))
    header = next(reader, None)
    names = [h.strip() for h in header or []]
    if LABEL_COLUMN not in names:
        raise InvalidLabels(
            f"{obj.key}: the first line must be a header naming `{LABEL_COLUMN}` "
            f"(and `{id_column}` for the id join), got {names[:5]}"
        )
    label_at = names.index(LABEL_COLUMN)
    id_at = names.index(id_column) if id_column in names else None
    rows = []
    for number, fields in enumerate(reader, start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        value = fields[label_at].strip() if label_at < len(fields) else ""
        ident = fields[id_at].strip() if id_at is not None and id_at < len(fields) else None
        rows.append(_LabelRow(obj.key, number, ident, value))
    return id_at is not None, rows


def _label_value(text: str, problem_type: str) -> float | None:
    if problem_type == "binary_classification":
        return _BINARY_LABELS.get(text)
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _Counter:
    def __init__(self, counts: JoinCounts, invalid: list[str]) -> None:
        self.counts = counts
        self.invalid = invalid

    def value(self, row: _LabelRow, problem_type: str) -> float | None:
        value = _label_value(row.text, problem_type)
        if value is None:
            self.counts.invalid_labels += 1
            if len(self.invalid) < SAMPLE_SIZE:
                self.invalid.append(f"{row.key} line {row.line}: {row.text[:40]!r}")
        return value


def join(
    predictions: Sequence[Prediction],
    labels: Sequence[LabelObject],
    *,
    id_column: str,
    problem_type: str,
) -> JoinResult:
    """The matched rows (in prediction order) and the counts of every other row."""
    parsed = [(obj, *_read_rows(obj, id_column)) for obj in labels]
    with_id = {obj.key for obj, has_id, _ in parsed if has_id}
    if with_id and len(with_id) < len(parsed):
        without = sorted(obj.key for obj, has_id, _ in parsed if not has_id)
        raise InvalidLabels(
            f"label objects disagree on the id column `{id_column}`: "
            f"{len(without)} lack it ({without[0]}, ...)"
        )
    counts = JoinCounts(predictions=len(predictions), label_rows=sum(len(rows) for _, _, rows in parsed))
    result = JoinResult("id" if with_id else "row_order", [], counts)
    counter = _Counter(counts, result.invalid_label_examples)
    if with_id:
        if predictions and predictions[0].id is None:
            raise PredictionsWithoutIds(
                f"the labels carry `{id_column}` but the run's predictions carry no id: the batch "
                "transform did not join the input's id to its output (docs/model-quality.md, 'By id')"
            )
        _join_by_id(predictions, parsed, problem_type, counter, result)
    else:
        _join_by_row_order(predictions, parsed, problem_type, counter, result)
    counts.matched = len(result.rows)
    counts.unlabelled_predictions = len(predictions) - counts.matched
    return result


def _join_by_id(
    predictions: Sequence[Prediction],
    parsed: list[tuple[LabelObject, bool, list[_LabelRow]]],
    problem_type: str,
    counter: _Counter,
    result: JoinResult,
) -> None:
    by_id: dict[str, list[Prediction]] = {}
    for p in predictions:
        by_id.setdefault(p.id or "", []).append(p)
    # Oldest object first, so a later object's row for an id (a late correction) wins.
    final: dict[str, tuple[str, float]] = {}
    for obj, _, rows in sorted(parsed, key=lambda item: (item[0].last_modified, item[0].key)):
        for row in rows:
            value = counter.value(row, problem_type)
            if value is None or row.id is None:
                continue
            if row.id in final:
                if final[row.id][0] == obj.key:
                    counter.counts.duplicate_labels += 1
                else:
                    counter.counts.corrected_labels += 1
            final[row.id] = (obj.key, value)
    matched: list[Joined] = []
    for ident, (_, value) in final.items():
        found = by_id.get(ident)
        if not found:
            counter.counts.unmatched_labels += 1
            if len(result.unmatched_label_ids) < SAMPLE_SIZE:
                result.unmatched_label_ids.append(ident)
        elif len(found) > 1:
            counter.counts.ambiguous_ids += 1
        else:
            matched.append(Joined(found[0], value))
    matched.sort(key=lambda j: (j.prediction.source, j.prediction.line))
    result.rows = matched


def _join_by_row_order(
    predictions: Sequence[Prediction],
    parsed: list[tuple[LabelObject, bool, list[_LabelRow]]],
    problem_type: str,
    counter: _Counter,
    result: JoinResult,
) -> None:
    # The batch's order: label objects by key, rows in order, against predictions in order.
    in_order = sorted(parsed, key=lambda item: item[0].key)
    rows = [row for _, _, object_rows in in_order for row in object_rows]
    for position, row in enumerate(rows):
        value = counter.value(row, problem_type)
        if value is None:
            continue
        if position >= len(predictions):
            counter.counts.unmatched_labels += 1
            if len(result.unmatched_label_ids) < SAMPLE_SIZE:
                result.unmatched_label_ids.append(f"{row.key} line {row.line}")
            continue
        result.rows.append(Joined(predictions[position], value))
