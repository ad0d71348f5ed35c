"""Find data files (local paths, folders, S3 prefixes) and stream them as Arrow record batches.

S3 is read with boto3 (``get_object`` streaming), never with pyarrow's own S3 filesystem, so that
moto's in-process mock (tests, local cloud) and the Lambda's credentials apply unchanged.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import BatchNotFound, EmptyBatch, UnknownFormat, UnreadableInput, UsageError

FORMATS = ("csv", "parquet", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson": "jsonl",
}
CSV_CHUNK_BYTES = 16 << 20
#: The longest CSV line read (a longer one is a named error). One long line costs about 8x its size
#: at peak (the growing buffer, pyarrow's parse of a block that size, the value's text and its
#: category): a 30 MB line raised peak RSS by 257 MB (2026-12-03); so at most about 270 MB.
MAX_LINE_BYTES = 32 << 20
JSONL_CHUNK_BYTES = 8 << 20
PARQUET_BATCH_ROWS = 131_072
_S3_READ_CHUNK = 8 << 20


@dataclass(frozen=True)
class DataFile:
    uri: str  # local path or s3://bucket/key
    fmt: str

    @property
    def is_s3(self) -> bool:
        return self.uri.startswith("s3://")


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise UsageError(f"not an s3:// URI: {uri}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise UsageError(f"S3 URI without a bucket: {uri}")
    return bucket, key


@functools.cache
def s3_client() -> Any:
    """One S3 client per process: making one loads botocore's service model (tens of ms)."""
    import boto3

    with _CLIENT_LOCK:  # boto3's default session is not safe to build clients on from two threads
        return boto3.client("s3")


_CLIENT_LOCK = threading.Lock()


def format_of(name: str, data_format: str | None = None) -> str | None:
    if data_format:
        fmt = data_format.lower().lstrip(".")
        fmt = {"json": "jsonl", "ndjson": "jsonl", "pq": "parquet"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise UsageError(f"unknown data format {data_format!r} (csv, parquet or jsonl)")
        return fmt
    lower = name.lower()
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if lower.endswith(ext):
            return _EXTENSIONS[ext]
    return None


def skip_reason(relative_key: str, size: int | None = None) -> str | None:
    """Why an object under a batch prefix is not data of the batch, or None when it is.

    ``relative_key`` is the object's key (or path) below the prefix, ``size`` its length in bytes
    when known. The rules, one definition for every engine:

    - a folder marker: the key ends in ``/`` (S3 console folders) or ``_$folder$`` (Hadoop's S3
      folders);
    - a hidden or metadata name: any part of the key starts with ``.`` or ``_`` (``_SUCCESS``,
      ``_committed_*``, ``.DS_Store``, ``.ipynb_checkpoints/``), or the name ends in ``._COPYING_``
      (a partial upload). This is Spark's rule for the files of a dataset (apache/spark,
      ``InMemoryFileIndex``/``HadoopFSUtils.shouldFilterOutPathName``), so Model Monitor's
      Spark-based analyzer, given the same prefix as ``dataset_source``, skips the same objects;
    - an empty object (size 0): it holds no record for any reader.

    A SageMaker batch transform with ``S3DataType: S3Prefix`` reads *all* objects under the prefix
    (API reference, TransformS3DataSource); to score exactly this batch, give it the objects that
    ``batch_objects`` lists (e.g. as a ``ManifestFile``).
    """
    if relative_key.endswith(("/", "_$folder$")):
        return "folder marker"
    parts = [part for part in relative_key.split("/") if part]
    if any(part.startswith((".", "_")) for part in parts) or relative_key.endswith("._COPYING_"):
        return "hidden or metadata name"
    if size == 0:
        return "empty object"
    return None


def _known_format(where: str, name: str, data_format: str | None) -> str:
    fmt = format_of(name, data_format)
    if fmt is None:
        raise UnknownFormat(
            f"{where}: unknown format: the name does not end in .csv, .csv.gz, .parquet, .pq, .jsonl, "
            ".jsonl.gz or .ndjson, and no format was given; every object of a batch is read, none is "
            "left out (remove it from the batch, rename it, or give the format)"
        )
    return fmt


def member_format(
    batch_key: str, object_key: str, data_format: str | None = None, *, size: int | None = None
) -> str | None:
    """The format in which the batch ``batch_key`` (an object, or a prefix) reads ``object_key``;
    None when the object is not data of the batch (outside its prefix, or skipped by
    ``skip_reason``); ``UnknownFormat`` naming the object when it is data of the batch that cannot
    be read. ``size`` (bytes, from the listing) lets an empty object be skipped.

    One object of a listing at a time: a worker given one object of the batch (a Step Functions
    Distributed Map over the prefix) asks this to read what one pass (``batch_objects``) reads.
    """
    return _member(batch_key, object_key, data_format, size, object_key)


def _member(
    batch_key: str, object_key: str, data_format: str | None, size: int | None, where: str
) -> str | None:
    if object_key == batch_key and not object_key.endswith("/"):
        return _known_format(where, object_key, data_format)  # named itself: the whole batch
    prefix = batch_key if batch_key.endswith("/") or not batch_key else batch_key + "/"
    if not object_key.startswith(prefix) or skip_reason(object_key[len(prefix) :], size):
        return None
    return _known_format(where, object_key, data_format)


def batch_objects(source: str | os.PathLike[str], data_format: str | None = None) -> list[DataFile]:
    """The data objects of one batch: what every engine reads and the report counts (issue 13).

    ``source`` is an ``s3://bucket/prefix`` (or one object), a local folder (or one file). Under a
    prefix or folder, recursively, every object is data of the batch except those ``skip_reason``
    names; each data object must be of a known format (by its name, or ``data_format``), else
    ``UnknownFormat`` naming it: never a verdict on part of the batch. Sorted by key.

    Raises ``BatchNotFound`` (an ``UnreadableInput``) when nothing is there (no object, no such file
    or folder), ``UnreadableInput`` when the listing failed, ``EmptyBatch`` when everything there is
    skipped (only markers or empty objects), and ``UnknownFormat`` for an object of an unknown format.
    """
    src = os.fspath(source)
    if src.startswith("s3://"):
        return _s3_batch(src, data_format)
    return _local_batch(src, data_format)


def _s3_batch(src: str, data_format: str | None) -> list[DataFile]:
    bucket, key = split_s3_uri(src)
    try:
        paginator = s3_client().get_paginator("list_objects_v2")
        listed: dict[str, int | None] = {
            obj["Key"]: obj.get("Size")
            for page in paginator.paginate(Bucket=bucket, Prefix=key)
            for obj in page.get("Contents", [])
        }
    except Exception as exc:  # botocore errors: NoSuchBucket, AccessDenied, ...
        raise UnreadableInput(f"{src}: cannot list objects: {exc}") from exc
    if key in listed and not key.endswith("/"):
        return [DataFile(src, _known_format(src, key, data_format))]
    found = [
        DataFile(f"s3://{bucket}/{k}", fmt)
        for k in sorted(listed)
        if (fmt := _member(key, k, data_format, listed[k], f"s3://{bucket}/{k}")) is not None
    ]
    if not found:
        prefix = key if key.endswith("/") or not key else key + "/"
        _no_data(src, [k for k in listed if k.startswith(prefix)])
    return found


def _local_batch(src: str, data_format: str | None) -> list[DataFile]:
    path = Path(src)
    if path.is_file():
        return [DataFile(str(path), _known_format(src, path.name, data_format))]
    if not path.is_dir():
        raise BatchNotFound(f"{src}: no such file or folder")
    found: list[DataFile] = []
    seen: list[str] = []
    for p in sorted(path.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(path).as_posix()
        seen.append(rel)
        if skip_reason(rel, p.stat().st_size) is None:
            found.append(DataFile(str(p), _known_format(str(p), p.name, data_format)))
    if not found:
        _no_data(src, seen)
    return found


def _no_data(src: str, listed: list[str]) -> None:
    if not listed:
        raise BatchNotFound(f"{src}: no objects under this prefix (no such batch)")
    raise EmptyBatch(
        f"{src}: no data objects: all {len(listed)} objects are skipped (folder markers, hidden or "
        "_-prefixed names, empty objects)"
    )


def resolve_sources(sources: Any, data_format: str | None = None) -> list[DataFile]:
    """The data objects of every batch named by ``sources`` (a path, folder, s3:// URI or a list of
    them), each by ``batch_objects``'s rules, in the order given. A ``DataFile`` is taken as it is:
    a batch listed once already (a run's manifest) is read without listing it again."""
    if isinstance(sources, str | os.PathLike | DataFile):
        items: Sequence[Any] = [sources]
    elif isinstance(sources, Sequence):
        items = list(sources)
    else:
        raise UsageError(
            f"sources must be a path, an s3:// URI or a list of them, got {type(sources).__name__}"
        )
    if not items:
        raise UsageError("no data sources given")
    files: list[DataFile] = []
    for item in items:
        files.extend([item] if isinstance(item, DataFile) else batch_objects(str(item), data_format))
    return files


# --------------------------------------------------------------------------- byte streams


class _RawStream(io.RawIOBase):
    """A readable raw stream over a botocore StreamingBody (pyarrow wants readinto/readable)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._body.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def close(self) -> None:
        self._body.close()
        super().close()


def open_binary(f: DataFile) -> IO[bytes]:
    try:
        if f.is_s3:
            bucket, key = split_s3_uri(f.uri)
            body = s3_client().get_object(Bucket=bucket, Key=key)["Body"]
            stream: IO[bytes] = io.BufferedReader(_RawStream(body), buffer_size=1 << 20)
        else:
            stream = open(f.uri, "rb")  # noqa: SIM115 - caller closes
    except Exception as exc:
        raise UnreadableInput(f"{f.uri}: cannot open: {exc}") from exc
    if f.uri.lower().endswith(".gz"):
        import gzip

        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


#: The first line (header, or the first row of a header-less file) is read up to this size.
FIRST_LINE_MAX_BYTES = 64 << 20


def _first_line(f: DataFile) -> bytes:
    """The file's first line, its line ending included. A file whose first line has no ``\n`` but a
    ``\r`` has classic-Mac (CR-only) line endings: a named error, since lines are cut at ``\n``."""
    with open_binary(f) as stream:
        line = stream.readline(FIRST_LINE_MAX_BYTES)
    if not line.endswith(b"\n"):
        if b"\r" in line.rstrip(b"\r"):
            raise _cr_only(f)
        if len(line) >= FIRST_LINE_MAX_BYTES:
            raise UnreadableInput(f"{f.uri}: line 1 is longer than {FIRST_LINE_MAX_BYTES >> 20} MB")
    return line


def _cr_only(f: DataFile) -> UnreadableInput:
    return UnreadableInput(
        f"{f.uri}: line 1: lines end in a carriage return only (CR, classic Mac); "
        "write the file with LF or CRLF line endings"
    )


def _first_line_fields(f: DataFile, delimiter: str) -> list[str]:
    """The fields of the first line, split by pyarrow's parser (quotes, any field size)."""
    line = _first_line(f)
    if not line.strip():
        return []
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid_utf8(f, 1, exc) from exc
    try:
        table = pacsv.read_csv(
            pa.BufferReader(_arrow_copy(line)),
            # one line, on this thread: no pool threads started for it
            read_options=pacsv.ReadOptions(use_threads=False, block_size=max(1 << 20, 2 * len(line))),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
        )
    except pa.ArrowInvalid as exc:
        raise _csv_error(f, exc, line=1) from exc
    return list(table.schema.names)


def count_csv_fields(f: DataFile, delimiter: str = ",") -> int:
    return len(_first_line_fields(f, delimiter))


def csv_header(f: DataFile, delimiter: str = ",") -> list[str]:
    return _first_line_fields(f, delimiter)


def _invalid_utf8(f: DataFile, line: int, exc: UnicodeDecodeError) -> UnreadableInput:
    bad = exc.object[exc.start : exc.start + 1].hex()
    return UnreadableInput(f"{f.uri}: line {line}: invalid UTF-8 (byte 0x{bad}); the data must be UTF-8 text")


# --------------------------------------------------------------------------- readers


_CONVERSION_RE = re.compile(r"In CSV column #(\d+): .*conversion error to (\w+)")


class CsvTypeConflict(Exception):  # noqa: N818 - internal signal, not an error
    """A later block of a CSV file does not fit the type pyarrow inferred from the first block."""

    def __init__(self, column_index: int, arrow_type: str) -> None:
        super().__init__(column_index, arrow_type)
        self.column_index = column_index
        self.arrow_type = arrow_type


def iter_csv(
    f: DataFile,
    *,
    column_names: list[str] | None,
    column_types: dict[str, pa.DataType] | None = None,
    delimiter: str = ",",
    single_column: bool = False,
) -> Generator[pa.Table, None, None]:
    """Stream one CSV file in chunks of whole lines, each parsed by pyarrow's multi-threaded reader.

    ``column_names`` given = the file has no header row. In a one-column file an empty line is a
    missing value, not a line to skip. Memory stays bounded by CSV_CHUNK_BYTES (plus its table),
    whatever the file's size; the same path serves local files, gzip and S3 streams.

    Reading and parsing run one chunk ahead on a thread of their own (pyarrow parses without the
    GIL), so the caller's work on chunk i overlaps the parsing of chunk i+1.
    """
    return prefetch(_csv_tables(f, column_names, column_types, delimiter, single_column))


def _csv_tables(
    f: DataFile,
    column_names: list[str] | None,
    column_types: dict[str, pa.DataType] | None,
    delimiter: str,
    single_column: bool,
) -> Iterator[pa.Table]:
    parse_opts = pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=not single_column)
    types = dict(column_types or {})
    names = column_names
    offset = 0  # of the block in the (decompressed) file: where an error's line is counted from
    with open_binary(f) as stream:
        for block in _line_blocks(f, stream):
            start, offset = offset, offset + len(block)
            if _has_content(block) or (single_column and len(block) and names is not None):
                table = _parse_csv_block(f, block, names, parse_opts, _convert_options(types), start)
                as_text = [
                    field.name
                    for field in table.schema
                    if not _KEEPS_TEXT_TYPE(field.type) and field.name not in types
                ]
                if as_text:
                    # booleans, dates, times, timestamps: read again as the text they are (Model
                    # Monitor types and counts cells by their text: "True" and "2024-10-27T17:39:31Z"
                    # are String values, kept as written); later blocks read them as text at once
                    types.update(dict.fromkeys(as_text, pa.string()))
                    table = _parse_csv_block(f, block, names, parse_opts, _convert_options(types), start)
                if names is None:
                    names = table.schema.names
                if table.num_rows:
                    yield table


def _KEEPS_TEXT_TYPE(t: pa.DataType) -> bool:  # noqa: N802 - reads as a predicate on a type
    """Arrow types whose values say what their text said: int64 (Integral text), double (numbers),
    strings (as written) and all-null columns. Any other inferred type re-renders the text."""
    return t in (pa.int64(), pa.float64(), pa.string(), pa.large_string(), pa.null())


def _convert_options(types: dict[str, pa.DataType]) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(
        column_types=types,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )


def _line_blocks(f: DataFile, stream: IO[bytes]) -> Iterator[pa.Buffer]:
    """Blocks of whole lines (the last one may lack its newline), each in a buffer of its own.

    The bytes are read straight into the block's buffer (``readinto``) and handed to pyarrow as
    that buffer: one copy from the stream, where slicing and concatenating bytes made three or four.
    A line longer than a chunk grows its buffer in place up to MAX_LINE_BYTES (then a named error),
    and a chunk without any ``\n`` but a ``\r`` is a CR-only file (named).

    The buffer is Arrow's own memory (``pa.allocate_buffer``), never a Python object: pyarrow's
    multi-threaded CSV reader may drop its last reference to its input on one of its pool threads
    after ``read_csv`` has returned. Had that input wrapped a Python object (``pa.py_buffer`` of a
    bytearray), releasing it takes the GIL from that thread; during interpreter shutdown such a
    thread is ended inside a C++ destructor and the process aborts ("terminate called without an
    active exception", exit 134: about 1 CLI run in 80, the flake of issue 14).
    """
    tail = b""
    offset = 0  # of the buffer's first byte in the file
    while True:
        buf = pa.allocate_buffer(len(tail) + CSV_CHUNK_BYTES, memory_pool=_POOL, resizable=True)
        with _bytes_view(buf) as view:
            view[: len(tail)] = tail
        end = searched = len(tail)
        while True:
            end = _fill(f, stream, buf, end)
            if end < buf.size:  # end of the stream: whatever is left is the last block
                if end:
                    yield buf.slice(0, end)
                return
            cut = _rfind(buf, b"\n", searched, end)
            if cut >= 0:
                break
            with _bytes_view(buf) as view:
                cr_only = b"\r" in view[searched:end].tobytes()
            if cr_only:
                raise _cr_only(f)
            if end >= MAX_LINE_BYTES:
                raise UnreadableInput(
                    f"{f.uri}: line {_lines_before(f, offset) + 1} is longer than "
                    f"{MAX_LINE_BYTES >> 20} MB (the longest line read, to bound memory)"
                )
            searched = end  # a line longer than the buffer: grow it and read on
            buf.resize(buf.size + CSV_CHUNK_BYTES)  # no view of it is alive here
        tail = buf.slice(cut + 1, end - cut - 1).to_pybytes()
        offset += cut + 1
        yield buf.slice(0, cut + 1)


#: The C library's allocator, as a bytearray's: a block of 16 MB freed and allocated again reuses its
#: pages (with Arrow's default jemalloc pool each block cost fresh page faults: +0.15 s of system CPU
#: on the benchmark's 1M-row check).
_POOL = pa.system_memory_pool()


def _bytes_view(buf: pa.Buffer) -> memoryview:
    """A writable byte view of a mutable Arrow buffer (release it before the buffer is resized)."""
    return memoryview(buf).cast("B")


def _rfind(buf: pa.Buffer, sub: bytes, start: int, end: int) -> int:
    """The last ``sub`` (one byte) in ``buf[start:end]``, or -1; reads backwards from ``end`` in
    growing windows, so a chunk of short lines costs one small copy."""
    window = 1 << 16
    hi = end
    with _bytes_view(buf) as view:
        while hi > start:
            lo = max(start, hi - window)
            i = view[lo:hi].tobytes().rfind(sub)
            if i >= 0:
                return lo + i
            hi = lo
            window = min(window * 4, 1 << 24)
    return -1


def _fill(f: DataFile, stream: IO[bytes], buf: pa.Buffer, end: int) -> int:
    """Read into ``buf[end:]`` until it is full or the stream ends; the new end."""
    try:
        with _bytes_view(buf) as view:
            while end < len(view):
                n = stream.readinto(view[end:])  # type: ignore[attr-defined]
                if not n:
                    break
                end += n
    except OSError as exc:
        raise UnreadableInput(f"{f.uri}: cannot read: {exc}") from exc
    return end


def _has_content(block: pa.Buffer) -> bool:
    """Anything but whitespace (looking at the block's head first: a full copy only when it is blank)."""
    head = block.slice(0, min(4096, block.size))
    return bool(head.to_pybytes().strip()) or bool(block.to_pybytes().strip())


def _arrow_copy(data: bytes | memoryview) -> pa.Buffer:
    """``data`` copied into Arrow's own memory: what pyarrow's threaded readers are given (see
    ``_line_blocks``: a buffer wrapping a Python object may be released on a pool thread at exit)."""
    out = pa.allocate_buffer(len(data))
    with _bytes_view(out) as view:
        view[:] = data
    return out


_DONE = object()


def prefetch(items: Iterator[Any], depth: int = 1) -> Generator[Any, None, None]:
    """Run ``items`` on a thread, ``depth`` items ahead of the consumer; its exceptions re-raise here.

    Closing the returned generator (the consumer stopped early or failed) stops the thread and
    closes ``items`` there, so files are not left open and no work runs on.
    """
    import queue
    import threading

    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((_DONE, exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        put((_DONE, None))

    thread = threading.Thread(target=run, name="dataquality-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = box.get()
            if item is _DONE:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _parse_csv_block(  # noqa: PLR0917
    f: DataFile,
    block: pa.Buffer,
    names: list[str] | None,
    parse_opts: pacsv.ParseOptions,
    convert_opts: pacsv.ConvertOptions,
    start: int = 0,
) -> pa.Table:
    """One block of whole lines, parsed. ``start``: the block's byte offset in the file (for line numbers)."""
    read_opts = pacsv.ReadOptions(column_names=names, use_threads=True)
    for attempt in range(2):
        try:
            return pacsv.read_csv(
                pa.BufferReader(block),  # Arrow's memory: see _line_blocks
                read_options=read_opts,
                parse_options=parse_opts,
                convert_options=convert_opts,
            )
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if "Empty CSV file" in text:
                return pa.table({})
            if "straddles" in text and attempt == 0:
                # a row longer than pyarrow's 1 MB parse block: parse this block as one piece
                read_opts = pacsv.ReadOptions(column_names=names, use_threads=True, block_size=len(block) + 1)
                continue
            if "invalid UTF8" in text or "invalid UTF-8" in text:
                raise _block_utf8_error(f, block, start) from exc
            m = _CONVERSION_RE.search(text)
            if m:
                raise CsvTypeConflict(int(m.group(1)), m.group(2)) from exc
            raise _csv_error(f, exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _block_utf8_error(f: DataFile, block: pa.Buffer, start: int) -> UnreadableInput:
    """Name the line of the first invalid UTF-8 byte in ``block`` (lines before it counted again)."""
    data = block.to_pybytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _lines_before(f, start) + data.count(b"\n", 0, exc.start) + 1
        return _invalid_utf8(f, line, exc)
    return UnreadableInput(f"{f.uri}: invalid UTF-8 text")


def _lines_before(f: DataFile, offset: int) -> int:
    """Newlines in the first ``offset`` bytes of the file (read again: only for an error message)."""
    count = 0
    with open_binary(f) as stream:
        while offset > 0:
            chunk = stream.read(min(offset, 8 << 20))
            if not chunk:
                break
            count += chunk.count(b"\n")
            offset -= len(chunk)
    return count


def _csv_error(f: DataFile, exc: Exception, line: int | None = None) -> UnreadableInput:
    msg = str(exc).splitlines()[0]
    if len(msg) > 300:
        msg = msg[:300] + "..."
    where = f"{f.uri}: line {line}" if line else f.uri
    return UnreadableInput(f"{where}: cannot parse CSV: {msg}")


def iter_parquet(f: DataFile) -> Generator[pa.RecordBatch, None, None]:
    import tempfile

    import pyarrow.parquet as pq  # imported on use: a CSV-only Lambda saves the start-up time

    tmp = None
    try:
        if f.is_s3:
            # Parquet needs random access: spooled to a file that Arrow then opens by its path (its
            # own file, not a Python file object whose release on a pool thread needs the GIL)
            tmp = tempfile.NamedTemporaryFile(suffix=".parquet")  # noqa: SIM115 - closed in finally
            with open_binary(f) as stream:
                while chunk := stream.read(_S3_READ_CHUNK):
                    tmp.write(chunk)
            tmp.flush()
            pf = pq.ParquetFile(tmp.name)
        else:
            pf = pq.ParquetFile(f.uri)
        yield from pf.iter_batches(batch_size=PARQUET_BATCH_ROWS)
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableInput(f"{f.uri}: cannot read Parquet: {str(exc).splitlines()[0]}") from exc
    finally:
        if tmp is not None:
            tmp.close()


def iter_jsonl(f: DataFile) -> Generator[pa.Table, None, None]:
    """JSON Lines in chunks of whole lines; a chunk pyarrow cannot type is read line by line as text."""
    line_no = 0
    with open_binary(f) as stream:
        pending = b""
        while True:
            data = stream.read(JSONL_CHUNK_BYTES)
            if not data:
                block, pending = pending, b""
            else:
                buf = pending + data
                cut = buf.rfind(b"\n")
                if cut < 0:
                    pending = buf
                    continue
                block, pending = buf[: cut + 1], buf[cut + 1 :]
            if block.strip():
                table = _jsonl_block(f, block, line_no)
                if table.num_rows:
                    yield table
            line_no += block.count(b"\n")
            if not data:
                return


def _jsonl_block(f: DataFile, block: bytes, first_line: int) -> pa.Table:
    import pyarrow.json as pajson

    try:
        table = pajson.read_json(pa.BufferReader(_arrow_copy(block)))  # Arrow's memory: see _line_blocks
        if not any(pa.types.is_nested(t) for t in table.schema.types):
            return table
    except pa.ArrowInvalid:
        pass
    # slow path: mixed types in a field, nested values, or a malformed line (named)
    rows: list[dict[str, Any]] = []
    for i, raw in enumerate(block.splitlines(), start=first_line + 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            raise UnreadableInput(f"{f.uri}: line {i} is not valid JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise UnreadableInput(f"{f.uri}: line {i} is not a JSON object")
        rows.append(obj)
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r))
    cols = {}
    for name in names:
        values = [r.get(name) for r in rows]
        cols[name] = pa.array([None if v is None else _json_text(v) for v in values], pa.string())
    return pa.table(cols) if cols else pa.table({})


def _json_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True)
    return str(v)


# --------------------------------------------------------------------------- writing


def write_text(dest: str, name: str, text: str, content_type: str = "application/json") -> str:
    """Write ``name`` under ``dest`` (a folder or an s3:// prefix) and return where it went."""
    if dest.startswith("s3://"):
        bucket, key = split_s3_uri(dest)
        key = f"{key.rstrip('/')}/{name}" if key else name
        try:
            s3_client().put_object(Bucket=bucket, Key=key, Body=text.encode(), ContentType=content_type)
        except Exception as exc:
            raise UnreadableInput(f"s3://{bucket}/{key}: cannot write: {exc}") from exc
        return f"s3://{bucket}/{key}"
    folder = Path(dest)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UnreadableInput(f"{folder / name}: cannot write: {exc}") from exc
    return str(folder / name)


def read_json_doc(location: str) -> Any:
    """Load a JSON document from a local path or an s3:// URI (used for baseline files)."""
    from .errors import BaselineFormatError

    try:
        if location.startswith("s3://"):
            bucket, key = split_s3_uri(location)
            data = s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
        else:
            data = Path(location).read_bytes()
    except Exception as exc:
        raise UnreadableInput(f"{location}: cannot read: {exc}") from exc
    try:
        return json.loads(data)
    except ValueError as exc:
        raise BaselineFormatError(f"{location}: not valid JSON: {exc}") from exc
