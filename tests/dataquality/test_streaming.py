"""The CSV read-ahead thread shuts down with its consumer; big integers; arguments checked before reading."""

from __future__ import annotations

import contextlib
import gc
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import dataquality as dq
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from dataquality import engine, sources
from dataquality.cli import main
from dataquality.profile import Profile

PREFETCH = "dataquality-prefetch"


def _prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == PREFETCH]


@pytest.fixture
def opened(monkeypatch) -> list[IO[bytes]]:
    """Every stream the readers open, to check that each was closed."""
    streams: list[IO[bytes]] = []
    real = sources.open_binary

    def recording(f: sources.DataFile) -> IO[bytes]:
        stream = real(f)
        streams.append(stream)
        return stream

    monkeypatch.setattr(sources, "open_binary", recording)
    return streams


@pytest.fixture
def blocks_read(monkeypatch) -> list[int]:
    """How many blocks of bytes the CSV reader has taken from its file."""
    count: list[int] = []
    real = sources._line_blocks

    def counting(f: sources.DataFile, stream: IO[bytes]) -> Iterator[memoryview]:
        for block in real(f, stream):
            count.append(len(block))
            yield block

    monkeypatch.setattr(sources, "_line_blocks", counting)
    return count


@pytest.fixture
def many_blocks(tmp_path: Path, monkeypatch, blocks_read: list[int]) -> Path:
    """A CSV of 60 blocks of 4 KB (the read-ahead has work left when the consumer stops)."""
    monkeypatch.setattr(sources, "CSV_CHUNK_BYTES", 4096)
    path = tmp_path / "many.csv"
    path.write_text("a,b\n" + "\n".join(f"{i},{i % 7}.5" for i in range(30_000)) + "\n")
    return path


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[list[warnings.WarningMessage]]:
    """No read-ahead thread outlives a test, and no file is left for the garbage collector to close."""
    assert not _prefetch_threads()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield caught
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [
        str(w.message) for w in caught
    ]
    assert not _prefetch_threads()


def _stops_at_once(opened: list[IO[bytes]]) -> None:
    assert not _prefetch_threads(), "the read-ahead thread outlived its consumer"
    assert opened and all(s.closed for s in opened), "a file was left open"


def _read(path: Path) -> Any:
    return sources.iter_csv(sources.DataFile(str(path), "csv"), column_names=None)


def test_the_read_ahead_runs_on_its_own_thread_and_ends_with_the_file(
    many_blocks: Path, opened, blocks_read: list[int]
):
    tables = _read(many_blocks)
    first = next(tables)
    assert first.num_rows and len(_prefetch_threads()) == 1
    assert sum(t.num_rows for t in tables) + first.num_rows == 30_000
    assert len(blocks_read) > 50
    _stops_at_once(opened)


def _break_early(path: Path) -> None:
    for _ in _read(path):
        break


def _raise_early(path: Path) -> None:
    for _ in _read(path):
        raise RuntimeError("consumer failed")


def _close_early(path: Path) -> None:
    tables = _read(path)
    next(tables)
    next(tables)
    tables.close()


@pytest.mark.parametrize("stop", [_break_early, _raise_early, _close_early], ids=["break", "raise", "close"])
def test_a_consumer_that_stops_early_stops_the_thread_and_closes_the_file(
    many_blocks: Path, opened, blocks_read: list[int], stop: Callable[[Path], None]
):
    with contextlib.suppress(RuntimeError):
        stop(many_blocks)
    _stops_at_once(opened)
    # and no work ran on: at most the blocks taken, one queued and one being parsed were read
    assert len(blocks_read) <= 4 < many_blocks.stat().st_size // 4096


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_failure_while_sketching_closes_the_reader_even_while_the_exception_is_kept(
    tmp_path: Path, monkeypatch, opened, fmt: str
):
    # Given a file of several blocks, and sketching that fails on the second block
    monkeypatch.setattr(sources, "CSV_CHUNK_BYTES", 4096)
    monkeypatch.setattr(sources, "JSONL_CHUNK_BYTES", 4096)
    path = tmp_path / f"data.{fmt}"
    rows = range(20_000)
    if fmt == "csv":
        path.write_text("a\n" + "\n".join(str(i) for i in rows) + "\n")
    else:
        path.write_text("\n".join(f'{{"a": {i}}}' for i in rows) + "\n")
    real_update = Profile.update
    calls = []

    def failing_update(self: Profile, batch: Any, from_text: bool = False) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("sketching failed")
        real_update(self, batch, from_text)

    monkeypatch.setattr(Profile, "update", failing_update)
    # When the caller keeps the exception (its traceback holds the reading frames)
    kept: list[BaseException] = []
    try:
        dq.suggest_baseline(path)
    except RuntimeError as exc:
        kept.append(exc)
    # Then the read-ahead thread has stopped and the file is closed already
    assert kept and kept[0].__traceback__ is not None
    _stops_at_once(opened)


def test_a_read_error_in_a_later_block_reaches_the_consumer_and_stops_the_thread(
    tmp_path: Path, monkeypatch, opened
):
    monkeypatch.setattr(sources, "CSV_CHUNK_BYTES", 4096)
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n" + "\n".join(f"{i},{i}" for i in range(5_000)) + "\n1,2,3\n")
    with pytest.raises(dq.UnreadableInput, match=r"ragged\.csv: cannot parse CSV"):
        dq.suggest_baseline(path)
    _stops_at_once(opened)


def test_prefetch_closes_its_source_on_the_thread_when_the_consumer_stops():
    closed_on: list[str] = []

    def source() -> Iterator[int]:
        try:
            yield from range(1_000)
        finally:
            closed_on.append(threading.current_thread().name)

    items = sources.prefetch(source())
    assert [next(items), next(items)] == [0, 1]
    items.close()
    assert closed_on == [PREFETCH]
    assert not _prefetch_threads()


# --------------------------------------------------------------------------- big integers, bad arguments


def _big_ints(n: int) -> list[int]:
    big = [2**53 + 1, 2**62 + 3, -(2**63) + 1, 2**63 - 1, 12_345_678_901_234_567]
    return [big[i % len(big)] if i % 3 == 0 else i for i in range(n)]


@pytest.mark.parametrize("rows", [50, 150_000], ids=["one-arrow-chunk", "several-arrow-chunks"])
def test_integers_above_2_53_in_a_csv_column_are_profiled(tmp_path: Path, rows: int):
    # Given a CSV column pyarrow reads as int64, with values float64 cannot hold exactly
    values = _big_ints(rows)
    path = tmp_path / "big.csv"
    path.write_text("id,x\n" + "\n".join(f"{v},{i % 10}" for i, v in enumerate(values)) + "\n")
    table = pacsv.read_csv(path)
    assert table.schema.field("id").type == pa.int64()
    assert (table.column("id").num_chunks > 1) == (rows > 1_000)
    # When it is profiled (baseline) and checked
    base = dq.suggest_baseline(path)
    res = dq.check(
        path, baseline_statistics=base.statistics, baseline_constraints=base.constraints, has_header=True
    )
    # Then the column is Integral with the right moments, and the same data is clean
    feat = base.statistics["features"][0]
    assert feat["name"] == "id" and feat["inferred_type"] == "Integral"
    num = feat["numerical_statistics"]
    assert num["common"]["num_present"] == rows
    assert num["max"] == float(2**63 - 1) and num["min"] == float(-(2**63) + 1)
    assert num["mean"] == pytest.approx(float(np.mean(np.array(values, dtype=np.float64))), rel=1e-9)
    assert res.verdict == "clean", res.violations


def test_unsigned_64_bit_integers_from_parquet_are_profiled(tmp_path: Path):
    path = tmp_path / "u.parquet"
    pq.write_table(pa.table({"u": pa.array([2**64 - 1, 2**53 + 1, 0], pa.uint64())}), path)
    num = dq.suggest_baseline(path).statistics["features"][0]["numerical_statistics"]
    assert num["max"] == float(2**64 - 1) and num["common"]["num_present"] == 3


@pytest.fixture(scope="module")
def small_baseline(tmp_path_factory) -> dq.Baseline:
    path = tmp_path_factory.mktemp("base") / "ref.csv"
    path.write_text("a,b\n" + "\n".join(f"{i},{i % 3}" for i in range(100)) + "\n")
    return dq.suggest_baseline(path)


@pytest.mark.parametrize(
    ("types", "message"),
    [
        ({"baseline_drift_chek"}, r"unknown drift check type\(s\) \['baseline_drift_chek'\]; choose from"),
        (["baseline_drift_check", "nope"], r"unknown drift check type\(s\) \['nope'\]"),
        ({"bogus", 1}, r"unknown drift check type\(s\) \['bogus', 1\]"),
        ("baseline_drift_check", r"must be a list or set of check type names .*got 'baseline_drift_check'"),
        (None, r"must be a list or set of check type names .*got None"),
        ([["baseline_drift_check"]], r"must be a list or set of check type names"),
    ],
    ids=["typo", "one-bad-in-list", "mixed-types", "a-string", "none", "unhashable"],
)
def test_a_bad_drift_check_types_argument_is_rejected_before_any_data_is_read(
    monkeypatch, small_baseline: dq.Baseline, types: Any, message: str
):
    def must_not_read(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("data was read before the arguments were checked")

    monkeypatch.setattr(engine, "profile_sources", must_not_read)
    monkeypatch.setattr(engine, "resolve_sources", must_not_read)
    with pytest.raises(dq.UsageError, match=message):
        dq.check(
            "s3://no-such-bucket/never-read/",
            baseline_statistics=small_baseline.statistics,
            baseline_constraints=small_baseline.constraints,
            drift_check_types=types,
        )


def test_the_cli_rejects_a_bad_drift_check_type_as_a_usage_error_before_reading(
    tmp_path: Path, small_baseline: dq.Baseline, capsys
):
    base = tmp_path / "baseline"
    small_baseline.write(str(base))
    argv = ["check", str(tmp_path / "missing.csv"), "--baseline", str(base), "--out", str(tmp_path / "out")]
    assert main([*argv, "--drift-check-types", "baseline_drift_check,typo_check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "typo_check" in err[0] and "missing.csv" not in err[0]
    assert not (tmp_path / "out").exists()


def test_pyarrows_threaded_readers_are_given_arrow_memory_never_a_python_object(
    tmp_path: Path, monkeypatch, many_blocks: Path
):
    """The cause of the CLI's exit-134 flake (issue 14, about 1 run in 80 aborted after its work,
    "terminate called without an active exception"): pyarrow's multi-threaded CSV reader can drop
    its last reference to its input on a pool thread after ``read_csv`` returned. An input wrapping
    a Python object (``pa.py_buffer`` of a bytearray, a ``BytesIO``) must then take the GIL on that
    thread; during interpreter shutdown the thread is ended inside a C++ destructor and the process
    aborts (gdb: ``PyBuffer::~PyBuffer`` -> ``PyGILState_Ensure`` -> ``pthread_exit`` on an Arrow
    pool thread while the main thread ran ``exit``). Every block reaches the readers as Arrow memory."""
    # Given pyarrow's readers watched, and Python-object buffers refused outright
    sources_seen: list[Any] = []

    def no_py_buffer(*_: Any, **__: Any) -> pa.Buffer:
        raise AssertionError("a Python-object buffer was handed to pyarrow")

    def watching(real: Callable[..., Any]) -> Callable[..., Any]:
        def read(source: Any, *args: Any, **kwargs: Any) -> Any:
            sources_seen.append(source)
            return real(source, *args, **kwargs)

        return read

    monkeypatch.setattr(pa, "py_buffer", no_py_buffer)
    monkeypatch.setattr(pacsv, "read_csv", watching(pacsv.read_csv))
    import pyarrow.json as pajson

    monkeypatch.setattr(pajson, "read_json", watching(pajson.read_json))
    (tmp_path / "d.jsonl").write_text('{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n')
    # When a CSV of many blocks, a header-only CSV and a JSON Lines file are profiled
    (tmp_path / "header_only.csv").write_text("a,b\n")
    assert dq.profile_sources(many_blocks).rows == 30_000
    assert dq.profile_sources(tmp_path / "header_only.csv").rows == 0
    assert dq.profile_sources(tmp_path / "d.jsonl").rows == 2
    # Then each read was given an Arrow BufferReader (over Arrow-allocated memory), never a Python file
    assert len(sources_seen) >= 60
    assert all(isinstance(s, pa.BufferReader) for s in sources_seen), {type(s) for s in sources_seen}
