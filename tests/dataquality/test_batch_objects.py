"""One definition of "the batch" (issue 13): ``dq.batch_objects`` lists the data objects under a
prefix or folder by ``dq.skip_reason``'s rules, and refuses, naming it, an object it cannot read;
``dq.member_format`` answers the same for one object of a listing (a Distributed Map child)."""

from __future__ import annotations

from pathlib import Path

import boto3
import dataquality as dq
import pytest
from dataquality.cli import main
from moto import mock_aws

HEADERLESS = "".join(f"{i},{i % 7}.5\n" for i in range(100))

#: A batch prefix as real producers leave it: relative key -> body.
LAYOUT: dict[str, bytes] = {
    "part-0.csv": HEADERLESS.encode(),
    "sub/part-1.csv": HEADERLESS.encode(),
    "sub/": b"",  # the S3 console's folder marker
    "old_$folder$": b"",  # Hadoop's S3 folder marker
    "_SUCCESS": b"",  # Spark / Hadoop job marker
    "_committed_123": b'{"added": ["part-0.csv"]}',  # Databricks commit marker, not data
    ".DS_Store": b"\x00\x01binary",
    "_temporary/0/part-9.csv": HEADERLESS.encode(),  # an unfinished write
    "part-2.csv._COPYING_": HEADERLESS.encode(),  # a partial upload
    "late.csv": b"",  # an empty object: no records for any reader
}
DATA = ["part-0.csv", "sub/part-1.csv"]


def _local(tmp_path: Path, layout: dict[str, bytes]) -> Path:
    root = tmp_path / "batch"
    for rel, body in layout.items():
        target = root / rel
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return root


def _s3(layout: dict[str, bytes], prefix: str = "batch/") -> str:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    for rel, body in layout.items():
        s3.put_object(Bucket="data", Key=prefix + rel, Body=body)
    return f"s3://data/{prefix}"


def test_the_skip_rules_name_each_kind_of_non_data_object():
    assert dq.skip_reason("sub/") == "folder marker"
    assert dq.skip_reason("old_$folder$") == "folder marker"
    for name in ("_SUCCESS", "_committed_1", ".DS_Store", "_temporary/0/p.csv", ".hidden/p.csv"):
        assert dq.skip_reason(name, 10) == "hidden or metadata name", name
    assert dq.skip_reason("p.csv._COPYING_", 10) == "hidden or metadata name"
    assert dq.skip_reason("late.csv", 0) == "empty object"
    assert dq.skip_reason("a/b/part_1.csv", 10) is None  # "_" inside a name is no marker
    assert dq.skip_reason("notes.txt", 10) is None  # data of the batch: its format is checked next


def test_a_folder_batch_is_its_data_files_by_the_skip_rules(tmp_path: Path):
    root = _local(tmp_path, LAYOUT)
    found = dq.batch_objects(root)
    assert [Path(f.uri).relative_to(root).as_posix() for f in found] == DATA
    assert {f.fmt for f in found} == {"csv"}


@mock_aws
def test_an_s3_batch_is_the_same_objects_and_each_objects_own_answer_agrees():
    # Given the same layout under an S3 prefix
    uri = _s3(LAYOUT)
    # When listed, then the same data objects as in a folder
    found = dq.batch_objects(uri)
    assert [f.uri for f in found] == [f"s3://data/batch/{rel}" for rel in DATA]
    # And asked one object at a time (a Distributed Map child, with the listing's size), the same
    listing = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="data", Prefix="batch/")
    one_by_one = [
        f"s3://data/{o['Key']}"
        for o in listing["Contents"]
        if dq.member_format("batch/", o["Key"], size=o["Size"]) is not None
    ]
    assert sorted(one_by_one) == [f.uri for f in found]
    # And an object outside the prefix is not of the batch
    assert dq.member_format("batch/", "batch-2/part-0.csv", size=10) is None


@mock_aws
def test_an_object_of_unknown_format_fails_the_batch_naming_it_never_a_partial_verdict(tmp_path: Path):
    # Given a 100-row .csv next to a 1000-line .txt of the same data under one prefix (issue 13: the
    # transform scored both, monitoring read only the .csv and gave a verdict on its 100 rows)
    big = "".join(f"{i},{i % 7}.5\n" for i in range(1000)).encode()
    layout = {"part-0.csv": HEADERLESS.encode(), "extra-rows.txt": big, "_SUCCESS": b""}
    uri = _s3(layout)
    base = dq.suggest_baseline(_local(tmp_path, {"b.csv": big}) / "b.csv", has_header=False)
    # When it is listed, checked or sketched one object at a time
    # Then each refuses the .txt by name
    with pytest.raises(dq.UnknownFormat, match=r"s3://data/batch/extra-rows\.txt: unknown format"):
        dq.batch_objects(uri)
    with pytest.raises(dq.UnknownFormat, match=r"extra-rows\.txt"):
        dq.check(uri, baseline_statistics=base.statistics, baseline_constraints=base.constraints)
    with pytest.raises(dq.UnknownFormat, match=r"batch/extra-rows\.txt"):
        dq.member_format("batch/", "batch/extra-rows.txt", size=len(big))
    # And an empty object of any name is no data, so not refused
    assert dq.member_format("batch/", "batch/empty.txt", size=0) is None
    # And with the format given, the .txt is read: all 1,100 rows
    result = dq.check(
        uri, baseline_statistics=base.statistics, baseline_constraints=base.constraints, data_format="csv"
    )
    assert result.statistics["dataset"]["item_count"] == 1100


def test_the_cli_refuses_the_batch_in_one_line_and_writes_nothing(tmp_path: Path, capsys):
    root = _local(tmp_path, {"part-0.csv": HEADERLESS.encode(), "notes.txt": b"not data\n"})
    base = dq.suggest_baseline(root / "part-0.csv", has_header=False)
    base.write(str(tmp_path / "base"))
    args = [
        "check",
        str(root),
        "--no-header",
        "--baseline",
        str(tmp_path / "base"),
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(args) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: UnknownFormat: ") and "notes.txt: unknown format" in line
    assert not (tmp_path / "o").exists()


@mock_aws
def test_a_missing_batch_and_a_batch_of_markers_only_are_told_apart(tmp_path: Path):
    _s3({"_SUCCESS": b"", "sub/": b"", "late.csv": b""})
    with pytest.raises(dq.UnreadableInput, match=r"s3://data/absent/: no objects under this prefix"):
        dq.batch_objects("s3://data/absent/")
    with pytest.raises(dq.EmptyBatch, match=r"s3://data/batch/: no data objects: all 3 objects are skipped"):
        dq.batch_objects("s3://data/batch/")
    with pytest.raises(dq.UnreadableInput, match="no such file or folder"):
        dq.batch_objects(tmp_path / "absent")
    root = _local(tmp_path, {"_SUCCESS": b"", ".keep": b""})
    with pytest.raises(dq.EmptyBatch, match="no data objects: all 2 objects are skipped"):
        dq.batch_objects(root)


@mock_aws
def test_an_object_named_itself_is_the_whole_batch_whatever_its_name():
    # Given a batch given as one object (no skip rules apply to an object named directly)
    _s3({"_only.csv": HEADERLESS.encode(), "x.bin": b"\x00"}, prefix="one/")
    assert [f.uri for f in dq.batch_objects("s3://data/one/_only.csv")] == ["s3://data/one/_only.csv"]
    assert dq.member_format("one/_only.csv", "one/_only.csv") == "csv"
    with pytest.raises(dq.UnknownFormat, match=r"one/x\.bin: unknown format"):
        dq.batch_objects("s3://data/one/x.bin")
