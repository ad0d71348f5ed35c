"""Bad bytes: overflowing numbers, invalid UTF-8, CR-only line endings, huge fields and long lines."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import dataquality as dq
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dataquality import sources

LAYER = Path(__file__).resolve().parents[2] / "layers" / "dataquality"


def _feature(stats: dict, name: str) -> dict:
    [feat] = [f for f in stats["features"] if f["name"] == name]
    return feat


def _counts(feat: dict) -> dict:
    return (feat.get("numerical_statistics") or feat["string_statistics"])["common"]


def test_overflowing_number_is_counted_once(tmp_path: Path):
    # "1e999" matches Deequ's Fractional pattern but overflows a double: present, once, not a number
    (tmp_path / "o.csv").write_text("label,amount\na,1\n1e999,2\nb,1e999\n")
    stats = dq.suggest_baseline(tmp_path / "o.csv").statistics
    for name in ("label", "amount"):
        counts = _counts(_feature(stats, name))
        assert counts == {"num_present": 3, "num_missing": 0}, name
    assert _feature(stats, "label")["inferred_type"] == "String"
    amount = _feature(stats, "amount")["numerical_statistics"]
    assert amount["max"] == 2.0 and amount["sum"] == 3.0  # the infinity stays out of the moments


@pytest.mark.parametrize("chunk", [None, 64])
def test_invalid_utf8_is_a_named_error_naming_file_and_line(tmp_path: Path, monkeypatch, chunk: int | None):
    if chunk:  # the bad line in a later block: lines before it are counted across blocks
        monkeypatch.setattr(sources, "CSV_CHUNK_BYTES", chunk)
    good = "".join(f"{i},x{i}\n" for i in range(40))
    (tmp_path / "u.csv").write_bytes(b"n,s\n" + good.encode() + b"41,caf\xe9\n42,ok\n")
    with pytest.raises(dq.UnreadableInput, match=r"u\.csv: line 42: invalid UTF-8 \(byte 0xe9\)"):
        dq.suggest_baseline(tmp_path / "u.csv")


def test_invalid_utf8_in_a_gzip_header_is_named(tmp_path: Path):
    with gzip.open(tmp_path / "h.csv.gz", "wb") as fh:
        fh.write(b"n,\xffs\n1,2\n")
    with pytest.raises(dq.UnreadableInput, match=r"h\.csv\.gz: line 1: invalid UTF-8 \(byte 0xff\)"):
        dq.suggest_baseline(tmp_path / "h.csv.gz")


def test_binary_parquet_values_are_profiled_as_text_not_python_reprs(tmp_path: Path):
    pq.write_table(
        pa.table({"b": pa.array([b"x", b"y", b"x", b"caf\xe9"], pa.binary())}), tmp_path / "b.parquet"
    )
    stats = dq.suggest_baseline(tmp_path / "b.parquet").statistics
    buckets = _feature(stats, "b")["string_statistics"]["distribution"]["categorical"]["buckets"]
    assert {b["value"] for b in buckets} == {"x", "y", "caf\\xe9"}  # never "b'x'"


@pytest.mark.parametrize("header", [True, False])
def test_cr_only_line_endings_are_a_named_error(tmp_path: Path, header: bool):
    (tmp_path / "mac.csv").write_bytes(b"a,b\r1,2\r3,4\r")
    with pytest.raises(dq.UnreadableInput, match=r"mac\.csv: line 1: lines end in a carriage return only"):
        dq.suggest_baseline(tmp_path / "mac.csv", has_header=header)


def test_cr_only_after_a_first_lf_line_is_named_too(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(sources, "CSV_CHUNK_BYTES", 64)
    (tmp_path / "mixed.csv").write_bytes(b"a,b\n" + b"".join(b"%d,2\r" % i for i in range(100)))
    with pytest.raises(dq.UnreadableInput, match="carriage return only"):
        dq.suggest_baseline(tmp_path / "mixed.csv")


def test_crlf_is_fine(tmp_path: Path):
    (tmp_path / "win.csv").write_bytes(b"a,b\r\n1,x\r\n2,y\r\n")
    stats = dq.suggest_baseline(tmp_path / "win.csv").statistics
    assert [f["name"] for f in stats["features"]] == ["a", "b"]
    buckets = _feature(stats, "b")["string_statistics"]["distribution"]["categorical"]["buckets"]
    assert {b["value"] for b in buckets} == {"x", "y"}


def test_fields_over_128_kib_are_read(tmp_path: Path):
    # Python's csv module stops at 131,072 bytes a field (_csv.Error); the header is split by pyarrow
    big = "h" * 200_000
    (tmp_path / "wide.csv").write_text(f"a,{big}\n1,{'v' * 300_000}\n2,w\n")
    stats = dq.suggest_baseline(tmp_path / "wide.csv").statistics
    assert [f["name"] for f in stats["features"]] == ["a", big]
    (tmp_path / "nohead.csv").write_text(f"1,{'v' * 300_000}\n2,w\n")
    stats = dq.suggest_baseline(tmp_path / "nohead.csv", has_header=False).statistics
    assert [f["name"] for f in stats["features"]] == ["_c0", "_c1"]
    assert _counts(stats["features"][1]) == {"num_present": 2, "num_missing": 0}


def test_line_longer_than_a_chunk_is_read_and_beyond_the_limit_is_named(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(sources, "CSV_CHUNK_BYTES", 1 << 16)
    monkeypatch.setattr(sources, "MAX_LINE_BYTES", 1 << 20)
    rows = "".join(f"{i},x\n" for i in range(10))
    (tmp_path / "long.csv").write_text(f"a,b\n{rows}10,{'y' * 500_000}\n11,z\n")
    stats = dq.suggest_baseline(tmp_path / "long.csv").statistics
    assert stats["dataset"]["item_count"] == 12
    (tmp_path / "toolong.csv").write_text(f"a,b\n{rows}10,{'y' * 2_000_000}\n11,z\n")
    with pytest.raises(dq.UnreadableInput, match=r"toolong\.csv: line 12 is longer than 1 MB"):
        dq.suggest_baseline(tmp_path / "toolong.csv")


_MEASURE = """
import resource, sys
sys.path.insert(0, sys.argv[2])
import dataquality as dq
import pyarrow.csv  # noqa: F401 - imports outside the measurement
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
dq.profile_sources(sys.argv[1])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def test_a_long_line_costs_a_bounded_multiple_of_its_size(tmp_path: Path):
    size = 8 << 20
    (tmp_path / "one.csv").write_text(f"a,b\n1,x\n2,{'y' * size}\n3,z\n")
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path / "one.csv"), str(LAYER)],
        capture_output=True,
        text=True,
        check=True,
    )
    growth = int(out.stdout.strip())
    assert growth < 12 * size, f"peak RSS grew by {growth / size:.1f}x the line"
