"""The join of a run's predictions with their ground truth (docs/model-quality.md, "The join").

Pure: the caller reads the objects, this decides which label goes with which prediction and
counts every row that does not make it into the metrics. By id when the label objects carry the id
column (and the predictions their record's id: `<id>,...,<score>`, the transform's joined output);
by row order, the documented fallback, when they carry no id column.

Columnar (pyarrow's CSV reader, numpy): a million rows join in well under a second, where a row at
a time took seconds (benchmarks/model_quality). A prediction's `line` is its 1-based place among the
object's non-empty lines, as the batch object's records are counted; a label's `line` is its CSV
line (the header is line 1; blank lines are not counted).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

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


@dataclass
class Predictions:
    """Every prediction of a run, as columns (objects by key, lines in order)."""

    sources: list[str]
    source_index: NDArray[np.int64]  # per row: index into `sources`
    lines: NDArray[np.int64]
    ids: pa.Array | None  # None: the output carries no id
    values: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.values.size)

    def __getitem__(self, i: int) -> Prediction:
        ident = None if self.ids is None else str(self.ids[i].as_py())
        return Prediction(
            self.sources[self.source_index[i]], int(self.lines[i]), ident, float(self.values[i])
        )

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))


#: The C library's allocator, as the analyzer's reader uses (dataquality/sources.py): blocks freed and
#: allocated again reuse their pages; with Arrow's default pool every new block costs fresh page faults.
_POOL = pa.system_memory_pool()


def _trimmed(column: pa.ChunkedArray) -> pa.Array:
    return pc.utf8_trim_whitespace(column.combine_chunks(memory_pool=_POOL), memory_pool=_POOL)


def _read(text: str | bytes, where: str, header: bool, text_columns: tuple[str, ...]) -> pa.Table:
    """The CSV as a table; `text_columns` are kept as written (ids: "007" stays "007")."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    options = pacsv.ReadOptions(autogenerate_column_names=not header)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(text_columns, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        return pacsv.read_csv(
            io.BytesIO(data), read_options=options, convert_options=convert, memory_pool=_POOL
        )
    except pa.ArrowInvalid as exc:
        raise ValueError(f"{where}: {exc}") from None


def _floats(texts: pa.Array) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Numbers from a column (as read, or text), and which are finite numbers (others: NaN, not ok)."""
    if pa.types.is_integer(texts.type) or pa.types.is_floating(texts.type):
        values = pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False)
        return values, np.isfinite(values)
    trimmed = pc.utf8_trim(texts.cast(pa.string()), characters=" []\t\r")
    try:
        values = pc.cast(trimmed, pa.float64()).to_numpy(zero_copy_only=False)
        return values, np.isfinite(values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = np.full(len(trimmed), np.nan)
        for i, text in enumerate(trimmed.to_pylist()):
            try:
                out[i] = float(text)
            except (TypeError, ValueError):
                continue
        return out, np.isfinite(out)


def parse_predictions(source: str, text: str | bytes) -> Predictions:
    """A transform output object: one line per record, `<score>` or `<id>,...,<score>`."""
    if not text.strip():
        return Predictions([source], np.zeros(0, np.int64), np.zeros(0, np.int64), None, np.zeros(0))
    try:
        table = _read(text, source, header=False, text_columns=("f0",))
    except ValueError as exc:
        raise InvalidPredictions(
            f"{exc} (lines differ in their number of fields: the output is mixed)"
        ) from None
    values, ok = _floats(table.column(table.num_columns - 1).combine_chunks())
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        shown = ",".join(str(v) for v in table.slice(bad, 1).to_pylist()[0].values())
        raise InvalidPredictions(f"{source} line {bad + 1}: {shown[:80]!r} does not end in a finite number")
    rows = table.num_rows
    ids = _trimmed(table.column(0)) if table.num_columns > 1 else None
    return Predictions(
        [source], np.zeros(rows, np.int64), np.arange(1, rows + 1, dtype=np.int64), ids, values
    )


def predictions_in_order(objects: Iterable[tuple[str, str | bytes]]) -> Predictions:
    """Every prediction of the run, objects by key, lines in order; ids on all lines or on none."""
    parts = [parse_predictions(source, text) for source, text in sorted(objects, key=lambda o: o[0])]
    parts = [p for p in parts if len(p)]
    if not parts:
        return Predictions([], np.zeros(0, np.int64), np.zeros(0, np.int64), None, np.zeros(0))
    with_id = [p.ids is not None for p in parts]
    if any(with_id) and not all(with_id):
        raise InvalidPredictions(
            f"{sum(with_id)} of {len(parts)} prediction objects carry ids: the run's output is mixed"
        )
    return Predictions(
        sources=[p.sources[0] for p in parts],
        source_index=np.concatenate([np.full(len(p), k, np.int64) for k, p in enumerate(parts)]),
        lines=np.concatenate([p.lines for p in parts]),
        ids=pa.concat_arrays([p.ids for p in parts if p.ids is not None], memory_pool=_POOL)
        if all(with_id)
        else None,
        values=np.concatenate([p.values for p in parts]),
    )


@dataclass(frozen=True)
class LabelObject:
    key: str
    last_modified: datetime
    text: str | bytes


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
    """The matched rows as columns: `index` (rows of `predictions`, in their order) and `labels`."""

    joined_by: JoinedBy
    predictions: Predictions
    index: NDArray[np.int64]
    labels: NDArray[np.float64]
    counts: JoinCounts
    unmatched_label_ids: list[str] = field(default_factory=list)
    invalid_label_examples: list[str] = field(default_factory=list)

    @property
    def values(self) -> NDArray[np.float64]:
        return self.predictions.values[self.index]

    @property
    def rows(self) -> list[Joined]:
        return [
            Joined(self.predictions[int(i)], float(y)) for i, y in zip(self.index, self.labels, strict=True)
        ]

    def report(self) -> dict[str, Any]:
        return {
            "joinedBy": self.joined_by,
            **self.counts.to_dict(),
            "unmatchedLabelIds": self.unmatched_label_ids,
            "invalidLabelExamples": self.invalid_label_examples,
        }


@dataclass
class _Labels:
    """Every label row of the set as columns, objects in the given order."""

    keys: list[str]
    obj: NDArray[np.int64]
    lines: NDArray[np.int64]
    ids: pa.Array | None
    texts: pa.Array


def _parse_labels(objects: Sequence[LabelObject], id_column: str) -> tuple[bool, list[pa.Table]]:
    """Each object's table (every column as text); whether they carry the id column (all or none)."""
    tables, with_id = [], []
    for obj in objects:
        try:
            table = (
                _read(obj.text, obj.key, header=True, text_columns=(LABEL_COLUMN, id_column))
                if obj.text.strip()
                else pa.table({})
            )
        except ValueError as exc:
            raise InvalidLabels(str(exc)) from None
        names = [n.strip() for n in table.column_names]
        if LABEL_COLUMN not in names:
            raise InvalidLabels(
                f"{obj.key}: the first line must be a header naming `{LABEL_COLUMN}` "
                f"(and `{id_column}` for the id join), got {names[:5]}"
            )
        tables.append(table.rename_columns(names))
        with_id.append(id_column in names)
    if any(with_id) and not all(with_id):
        without = sorted(o.key for o, w in zip(objects, with_id, strict=True) if not w)
        raise InvalidLabels(
            f"label objects disagree on the id column `{id_column}`: "
            f"{len(without)} lack it ({without[0]}, ...)"
        )
    return bool(tables) and all(with_id), tables


def _columns(objects: list[LabelObject], tables: list[pa.Table], id_column: str | None) -> _Labels:
    def cat(arrays: list[NDArray[np.int64]]) -> NDArray[np.int64]:
        return np.concatenate(arrays) if arrays else np.zeros(0, np.int64)

    def text(name: str) -> pa.Array:
        parts = [_trimmed(t.column(name)) for t in tables]
        return pa.concat_arrays(parts, memory_pool=_POOL) if parts else pa.array([], pa.string())

    return _Labels(
        keys=[o.key for o in objects],
        obj=cat([np.full(t.num_rows, k, np.int64) for k, t in enumerate(tables)]),
        lines=cat([np.arange(2, t.num_rows + 2, dtype=np.int64) for t in tables]),
        ids=text(id_column) if id_column else None,
        texts=text(LABEL_COLUMN),
    )


def _values(
    labels: _Labels, problem_type: str, result: JoinResult
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The labels' values and which are valid; the invalid ones counted and sampled."""
    if problem_type == "binary_classification":
        ok = pc.is_in(labels.texts, value_set=pa.array(list(_BINARY_LABELS))).to_numpy(zero_copy_only=False)
        values = pc.is_in(labels.texts, value_set=pa.array(["1", "1.0"])).to_numpy(zero_copy_only=False)
        values = values.astype(np.float64)
    else:
        values, ok = _floats(labels.texts)
    bad = np.flatnonzero(~ok)
    result.counts.invalid_labels = int(bad.size)
    for i in bad[:SAMPLE_SIZE].tolist():
        text = str(labels.texts[i].as_py())
        result.invalid_label_examples.append(
            f"{labels.keys[labels.obj[i]]} line {labels.lines[i]}: {text[:40]!r}"
        )
    return values, ok


def join(
    predictions: Predictions,
    labels: Sequence[LabelObject],
    *,
    id_column: str,
    problem_type: str,
) -> JoinResult:
    """The matched rows (in prediction order) and the counts of every other row."""
    by_id, tables = _parse_labels(labels, id_column)
    parsed = list(zip(labels, tables, strict=True))
    empty = np.zeros(0, np.int64)
    result = JoinResult("id" if by_id else "row_order", predictions, empty, np.zeros(0), JoinCounts())
    if by_id:
        if len(predictions) and predictions.ids is None:
            raise PredictionsWithoutIds(
                f"the labels carry `{id_column}` but the run's predictions carry no id: the batch "
                "transform did not join the input's id to its output (docs/model-quality.md, 'By id')"
            )
        # Oldest object first, so a later object's row for an id (a late correction) wins.
        parsed.sort(key=lambda p: (p[0].last_modified, p[0].key))
        rows = _columns([p[0] for p in parsed], [p[1] for p in parsed], id_column)
        _join_by_id(predictions, rows, problem_type, result)
    else:
        parsed.sort(key=lambda p: p[0].key)  # the batch's order: objects by key
        rows = _columns([p[0] for p in parsed], [p[1] for p in parsed], None)
        _join_by_row_order(predictions, rows, problem_type, result)
    result.counts.predictions = len(predictions)
    result.counts.label_rows = len(rows.texts)
    result.counts.matched = int(result.index.size)
    result.counts.unlabelled_predictions = len(predictions) - result.counts.matched
    return result


_ID_BYTES = 16  # ids up to this many bytes are coded by sorting their bytes (most ids are shorter)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # a 64-bit odd multiplier (the golden ratio's), to mix two words


def _id_bytes(ids: pa.Array) -> NDArray[np.uint8] | None:
    """Each id's UTF-8 bytes as a row, read as if zero-padded to 16 (ids of one length: a view of
    Arrow's buffer, as wide as they are); None when an id is longer than 16 bytes or holds a NUL byte
    (with one, padding could make two different ids equal)."""
    ids = ids.cast(pa.string())
    if ids.null_count:
        return None
    offsets = np.frombuffer(ids.buffers()[1], np.int32, len(ids) + 1, ids.offset * 4).astype(np.int64)
    data = np.frombuffer(ids.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    lengths = np.diff(offsets)
    if lengths.size and (lengths.max() > _ID_BYTES or not data.all()):
        return None
    if lengths.size and (lengths == lengths[0]).all():
        return data.reshape(len(ids), int(lengths[0]))
    out = np.zeros((len(ids), _ID_BYTES), np.uint8)
    starts = offsets[:-1] - offsets[0]
    rows = np.repeat(np.arange(len(ids)), lengths)
    out[rows, np.arange(data.size) - starts[rows]] = data
    return out


def _byte_range(side: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Each of the 16 byte positions' lowest and highest value among a side's ids (0 past its width)."""
    low, high = np.zeros(_ID_BYTES, np.uint8), np.zeros(_ID_BYTES, np.uint8)
    if side.shape[1]:
        low[: side.shape[1]], high[: side.shape[1]] = side.min(axis=0), side.max(axis=0)
    return low, high


def _keys(side: NDArray[np.uint8], columns: NDArray[np.int64]) -> NDArray[np.uint64]:
    """The side's bytes at `columns` (at most 8; 0 past its width), packed into one 64-bit key per id."""
    packed = np.zeros((len(side), 8), np.uint8)
    for k, column in enumerate(columns.tolist()):
        if column < side.shape[1]:
            packed[:, k] = side[:, column]
    return packed.view(np.uint64).ravel()


def _words(side: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """The side's ids zero-padded to 16 bytes, as two 64-bit words each."""
    padded = np.zeros((len(side), _ID_BYTES), np.uint8)
    padded[:, : side.shape[1]] = side
    return padded.view(np.uint64)


def _codes_by_bytes(first: pa.Array, second: pa.Array) -> tuple[NDArray[np.int64], int] | None:
    """Equal ids, equal codes, by sorting 64-bit keys made of the ids' bytes (on 1M ids less than
    half the CPU of hashing the strings, benchmarks/model_quality). None when an id does not fit or
    two different ids share a key (then Arrow's hash decides)."""
    a, b = _id_bytes(first), _id_bytes(second)
    if a is None or b is None:
        return None
    ranges = [_byte_range(side) for side in (a, b) if len(side)]
    # A byte every id has alike tells no two apart: when at most 8 differ ("r00012345", "rec-0042"),
    # those bytes are the key, exactly. Otherwise two words mixed, and equal keys checked word by word.
    lowest = np.minimum.reduce([low for low, _ in ranges]) if ranges else np.zeros(_ID_BYTES, np.uint8)
    highest = np.maximum.reduce([high for _, high in ranges]) if ranges else lowest
    varying = np.flatnonzero(lowest != highest)
    exact = varying.size <= 8
    if exact:
        keys = np.concatenate((_keys(a, varying), _keys(b, varying)))
    else:
        words = np.concatenate((_words(a), _words(b)))
        keys = words[:, 0] * _MIX ^ words[:, 1]
    order = np.argsort(keys, kind="quicksort")
    ordered = keys[order]
    new_key = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    if not exact:
        high, low = words[order, 0], words[order, 1]
        if not (new_key[1:] | ((high[1:] == high[:-1]) & (low[1:] == low[:-1]))).all():
            return None
    codes = np.empty(keys.size, np.int64)
    codes[order] = np.cumsum(new_key) - 1
    return codes, int(np.count_nonzero(new_key))


def _codes(first: pa.Array, second: pa.Array) -> tuple[NDArray[np.int64], int]:
    """Integer codes for the ids of both arrays (first's, then second's) and how many codes there are."""
    by_bytes = _codes_by_bytes(first, second)
    if by_bytes is not None:
        return by_bytes
    both = pc.dictionary_encode(pa.concat_arrays([first, second], memory_pool=_POOL), memory_pool=_POOL)
    return both.indices.to_numpy(zero_copy_only=False).astype(np.int64), len(both.dictionary)


def _join_by_id(predictions: Predictions, labels: _Labels, problem_type: str, result: JoinResult) -> None:
    values, ok = _values(labels, problem_type, result)
    assert labels.ids is not None and predictions.ids is not None
    valid = np.flatnonzero(ok)
    if valid.size == 0:
        return
    everything = valid.size == len(labels.ids)
    labelled = labels.ids if everything else labels.ids.take(pa.array(valid))
    values, objects = (values, labels.obj) if everything else (values[valid], labels.obj[valid])
    n_pred = len(predictions.ids)
    all_codes, n_codes = _codes(predictions.ids, labelled)
    pred_codes, codes = all_codes[:n_pred], all_codes[n_pred:]
    rows = np.arange(codes.size)
    if np.bincount(codes, minlength=n_codes).max() <= 1:  # each id labelled once: every row is final
        ids, final_rows, first_rows = codes, rows, rows
    else:
        # Each id's label rows in order (object, line): every row after the first replaced the one
        # before it, a duplicate when both are of one object, a correction when the later is another's.
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        same_id = sorted_codes[1:] == sorted_codes[:-1]
        same_object = objects[order][1:] == objects[order][:-1]
        result.counts.duplicate_labels = int(np.count_nonzero(same_id & same_object))
        result.counts.corrected_labels = int(np.count_nonzero(same_id & ~same_object))
        starts = np.flatnonzero(np.concatenate(([True], ~same_id)))
        ends = np.flatnonzero(np.concatenate((~same_id, [True])))
        ids, final_rows, first_rows = sorted_codes[starts], order[ends], order[starts]
    count_of = np.bincount(pred_codes, minlength=n_codes)[ids]
    # Unmatched ids are listed in the order they first appear among the labels.
    unmatched = np.flatnonzero(count_of == 0)
    unmatched = unmatched[np.argsort(first_rows[unmatched], kind="stable")]
    result.counts.unmatched_labels = int(unmatched.size)
    result.unmatched_label_ids = [str(labelled[int(first_rows[i])].as_py()) for i in unmatched[:SAMPLE_SIZE]]
    result.counts.ambiguous_ids = int(np.count_nonzero(count_of > 1))
    once = np.flatnonzero(count_of == 1)
    prediction_of = np.empty(n_codes, np.int64)
    prediction_of[pred_codes] = np.arange(n_pred)  # exact for the ids predicted once, the only ones read
    index = prediction_of[ids[once]]
    # In prediction order without a sort: each matched prediction has exactly one label.
    matched = np.zeros(n_pred, bool)
    matched[index] = True
    label_at = np.empty(n_pred)
    label_at[index] = values[final_rows[once]]
    result.index = np.flatnonzero(matched)
    result.labels = label_at[result.index]


def _join_by_row_order(
    predictions: Predictions, labels: _Labels, problem_type: str, result: JoinResult
) -> None:
    values, ok = _values(labels, problem_type, result)
    positions = np.arange(ok.size)
    matched = ok & (positions < len(predictions))
    extra = np.flatnonzero(ok & (positions >= len(predictions)))
    result.counts.unmatched_labels = int(extra.size)
    result.unmatched_label_ids = [
        f"{labels.keys[labels.obj[i]]} line {labels.lines[i]}" for i in extra[:SAMPLE_SIZE].tolist()
    ]
    result.index = positions[matched].astype(np.int64)
    result.labels = values[matched]
