"""The join of predictions with ground truth: by id, by row order (the fallback), and every row that
does not reach the metrics counted (docs/model-quality.md, "The join")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mlops_loop.model_quality.errors import InvalidLabels, InvalidPredictions, PredictionsWithoutIds
from mlops_loop.model_quality.join import LabelObject, join, parse_predictions, predictions_in_order

T0 = datetime(2026, 12, 1, tzinfo=UTC)
BINARY = "binary_classification"


def _labels(key: str, text: str, minutes: int = 0) -> LabelObject:
    return LabelObject(key, T0 + timedelta(minutes=minutes), text)


def _with_ids(*ids_scores: tuple[str, float]) -> str:
    return "".join(f"{i},{s}\n" for i, s in ids_scores)


def test_ids_join_each_label_with_its_own_prediction_whatever_the_order():
    # Given predictions that carry ids (the transform's joined output) and labels in another order
    predictions = predictions_in_order([("a.csv.out", _with_ids(("r1", 0.9), ("r2", 0.2), ("r3", 0.7)))])
    labels = [_labels("l.csv", "record_id,label\nr3,0\nr1,1\n")]
    # When joined
    result = join(predictions, labels, id_column="record_id", problem_type=BINARY)
    # Then each label meets the prediction of its id, and the unlabelled one is counted
    assert result.joined_by == "id"
    assert [(j.prediction.id, j.prediction.value, j.label) for j in result.rows] == [
        ("r1", 0.9, 1.0),
        ("r3", 0.7, 0.0),
    ]
    assert result.counts.to_dict() | {} == {
        "predictions": 3,
        "labelRows": 2,
        "matched": 2,
        "unmatchedLabels": 0,
        "unlabelledPredictions": 1,
        "duplicateLabels": 0,
        "correctedLabels": 0,
        "ambiguousIds": 0,
        "invalidLabels": 0,
    }


def test_labels_without_a_prediction_are_counted_and_named_never_dropped_silently():
    predictions = predictions_in_order([("a.out", _with_ids(("r1", 0.9)))])
    labels = [_labels("l.csv", "label,record_id\n1,r1\n0,ghost\n1,ghost2\n")]
    result = join(predictions, labels, id_column="record_id", problem_type=BINARY)
    assert result.counts.matched == 1
    assert result.counts.unmatched_labels == 2
    assert result.unmatched_label_ids == ["ghost", "ghost2"]
    assert result.report()["unmatchedLabelIds"] == ["ghost", "ghost2"]


def test_a_later_object_corrects_an_earlier_label_and_a_repeat_within_one_object_is_a_duplicate():
    predictions = predictions_in_order([("a.out", _with_ids(("r1", 0.9), ("r2", 0.1)))])
    # Given the first object labels r1 twice (the later line wins) and a later object corrects r2;
    # the later object's key sorts first, so only the modification time can order them
    first = _labels("z-first.csv", "record_id,label\nr1,0\nr1,1\nr2,1\n", minutes=0)
    correction = _labels("a-correction.csv", "record_id,label\nr2,0\n", minutes=5)
    result = join(predictions, [correction, first], id_column="record_id", problem_type=BINARY)
    assert {j.prediction.id: j.label for j in result.rows} == {"r1": 1.0, "r2": 0.0}
    assert result.counts.duplicate_labels == 1
    assert result.counts.corrected_labels == 1
    assert result.counts.label_rows == 4


def test_an_id_two_predictions_carry_is_ambiguous_and_not_used():
    predictions = predictions_in_order([("a.out", _with_ids(("r1", 0.9), ("r1", 0.1), ("r2", 0.4)))])
    result = join(
        predictions,
        [_labels("l.csv", "record_id,label\nr1,1\nr2,0\n")],
        id_column="record_id",
        problem_type=BINARY,
    )
    assert [j.prediction.id for j in result.rows] == ["r2"]
    assert result.counts.ambiguous_ids == 1
    assert result.counts.unlabelled_predictions == 2


def test_invalid_labels_are_counted_with_where_they_are():
    predictions = predictions_in_order([("a.out", _with_ids(("r1", 0.9), ("r2", 0.1), ("r3", 0.5)))])
    labels = [_labels("l.csv", "record_id,label\nr1,yes\nr2,2\nr3,1.0\n")]
    result = join(predictions, labels, id_column="record_id", problem_type=BINARY)
    assert [j.prediction.id for j in result.rows] == ["r3"]
    assert result.counts.invalid_labels == 2
    assert result.invalid_label_examples == ["l.csv line 2: 'yes'", "l.csv line 3: '2'"]


def test_regression_labels_are_any_finite_number():
    predictions = predictions_in_order([("a.out", _with_ids(("r1", 2.5), ("r2", 1.0)))])
    labels = [_labels("l.csv", "record_id,label\nr1,3.25\nr2,nan\n")]
    result = join(predictions, labels, id_column="record_id", problem_type="regression")
    assert [(j.prediction.id, j.label) for j in result.rows] == [("r1", 3.25)]
    assert result.counts.invalid_labels == 1


def test_without_the_id_column_labels_join_by_row_order_objects_by_key():
    # Given predictions without ids (today's transform output) over two batch objects
    predictions = predictions_in_order([("b.csv.out", "0.8\n0.3\n"), ("a.csv.out", "0.1\n")])
    # and labels in two objects whose keys give the batch's order, one row too many
    labels = [_labels("2.csv", "label\n0\n1\n"), _labels("1.csv", "label\n0\n", minutes=9)]
    result = join(predictions, labels, id_column="record_id", problem_type=BINARY)
    assert result.joined_by == "row_order"
    assert [(j.prediction.source, j.prediction.line, j.label) for j in result.rows] == [
        ("a.csv.out", 1, 0.0),
        ("b.csv.out", 1, 0.0),
        ("b.csv.out", 2, 1.0),
    ]
    extra = join(
        predictions, [*labels, _labels("3.csv", "label\n1\n")], id_column="record_id", problem_type=BINARY
    )
    assert extra.counts.unmatched_labels == 1
    assert extra.unmatched_label_ids == ["3.csv line 2"]


def test_fewer_labels_than_predictions_by_row_order_leave_predictions_unlabelled():
    predictions = predictions_in_order([("a.out", "0.8\n0.3\n0.4\n")])
    result = join(predictions, [_labels("1.csv", "label\n1\n")], id_column="record_id", problem_type=BINARY)
    assert result.counts.matched == 1
    assert result.counts.unlabelled_predictions == 2


def test_labels_with_ids_for_predictions_without_ids_are_refused_not_joined_by_position():
    predictions = predictions_in_order([("a.out", "0.8\n")])
    with pytest.raises(PredictionsWithoutIds, match="carry no id"):
        join(
            predictions,
            [_labels("l.csv", "record_id,label\nr1,1\n")],
            id_column="record_id",
            problem_type=BINARY,
        )


def test_label_objects_that_disagree_on_the_id_column_are_refused():
    predictions = predictions_in_order([("a.out", _with_ids(("r1", 0.9)))])
    labels = [_labels("1.csv", "record_id,label\nr1,1\n"), _labels("2.csv", "label\n1\n")]
    with pytest.raises(InvalidLabels, match="disagree on the id column"):
        join(predictions, labels, id_column="record_id", problem_type=BINARY)


def test_a_label_object_without_a_label_header_is_named():
    with pytest.raises(InvalidLabels, match=r"l\.csv: the first line must be a header naming `label`"):
        join([], [_labels("l.csv", "1\n0\n")], id_column="record_id", problem_type=BINARY)


def test_prediction_lines_are_a_score_or_an_id_then_a_score():
    # a line is its place among the non-empty lines, as the batch object's records are counted
    assert [(p.line, p.id, p.value) for p in parse_predictions("x.out", "0.25\n\n[0.5]\n")] == [
        (1, None, 0.25),
        (2, None, 0.5),
    ]
    assert parse_predictions("x.out", "id-7,3.0,0.75\n")[0].id == "id-7"
    with pytest.raises(InvalidPredictions, match=r"x\.out line 1"):
        parse_predictions("x.out", "abc\n")
    with pytest.raises(InvalidPredictions, match="mixed"):
        predictions_in_order([("a.out", "r1,0.5\n0.4\n")])
    with pytest.raises(InvalidPredictions, match="mixed"):
        predictions_in_order([("a.out", "r1,0.5\n"), ("b.out", "0.4\n")])


def _reference_join(pred_ids: list[str], label_objects: list[list[tuple[str, int]]]) -> tuple[dict, dict]:
    """The join rules of docs/model-quality.md, a row at a time: objects oldest first, a later row of an
    id replaces an earlier one (same object: a duplicate; another object: a correction)."""
    predicted: dict[str, list[int]] = {}
    for position, ident in enumerate(pred_ids):
        predicted.setdefault(ident, []).append(position)
    final: dict[str, tuple[int, int]] = {}
    duplicates = corrections = 0
    for k, rows in enumerate(label_objects):
        for ident, label in rows:
            if ident in final:
                duplicates += final[ident][0] == k
                corrections += final[ident][0] != k
            final[ident] = (k, label)
    matched = {predicted[i][0]: float(y) for i, (_, y) in final.items() if len(predicted.get(i, [])) == 1}
    counts = {
        "matched": len(matched),
        "unmatchedLabels": sum(i not in predicted for i in final),
        "ambiguousIds": sum(len(predicted.get(i, [])) > 1 for i in final),
        "duplicateLabels": duplicates,
        "correctedLabels": corrections,
    }
    return matched, counts


ID_SHAPES = {
    "one length, up to 8 bytes": lambda k: f"r{k:06d}",
    "one length, 9 to 16 bytes": lambda k: f"rec-{k:010d}",
    "lengths from 1 to 16 bytes": lambda k: str(k * 7919)[: 1 + k % 16],
    "more than 8 bytes vary (two words)": lambda k: f"{k * 982_451_653 % 10**8:08d}-{k % 3}",
    "non-ASCII": lambda k: f"é{k}ü",
    "longer than 16 bytes (hashed)": lambda k: f"customer-{k:012d}-row",
}


@pytest.mark.parametrize("shape", ID_SHAPES)
@pytest.mark.parametrize("mix", ["mixed", "colliding keys"])
def test_the_join_by_id_agrees_with_the_rules_row_by_row(shape, mix, monkeypatch):
    import numpy as np
    from mlops_loop.model_quality import join as join_module

    if mix == "colliding keys":  # two words' key is the second word alone: ids must be told apart
        monkeypatch.setattr(join_module, "_MIX", np.uint64(0))
    rng = np.random.default_rng(len(shape))
    make = ID_SHAPES[shape]
    pred_ids = [make(int(k)) for k in rng.integers(0, 400, 300)]  # some ids twice: ambiguous
    objects = [[(make(int(k)), int(rng.integers(0, 2))) for k in rng.integers(0, 500, 150)] for _ in range(3)]
    predictions = predictions_in_order([("a.out", "".join(f"{i},0.5\n" for i in pred_ids))])
    labels = [
        _labels(f"l{k}.csv", "record_id,label\n" + "".join(f"{i},{y}\n" for i, y in rows), minutes=k)
        for k, rows in enumerate(objects)
    ]
    result = join(predictions, labels, id_column="record_id", problem_type=BINARY)
    expected, counts = _reference_join(pred_ids, objects)
    assert dict(zip(result.index.tolist(), result.labels.tolist(), strict=True)) == expected
    assert result.index.tolist() == sorted(expected)
    assert {k: result.counts.to_dict()[k] for k in counts} == counts


def test_ids_that_differ_only_by_a_longer_tail_never_match_across_sides_of_other_widths():
    # Given predictions whose ids all have 4 bytes and labels whose ids all have 3, their prefixes
    predictions = predictions_in_order([("a.out", _with_ids(("ab10", 0.9), ("ab20", 0.1)))])
    labels = [_labels("l.csv", "record_id,label\nab1,1\nab2,0\n")]
    # When joined
    result = join(predictions, labels, id_column="record_id", problem_type=BINARY)
    # Then nothing matches: a prefix is another id
    assert result.counts.matched == 0
    assert result.unmatched_label_ids == ["ab1", "ab2"]
