"""The built-in SageMaker XGBoost algorithm's contract, run with the xgboost library.

Training (CreateTrainingJob with a ``sagemaker-xgboost`` image):
- hyperparameters are strings; ``num_round`` is required; ``objective`` defaults to
  ``reg:squarederror`` as in the container; ``eval_metric`` may list several metrics
  (comma-separated); ``early_stopping_rounds`` needs a ``validation`` channel; ``csv_weights=1``
  reads instance weights from the second CSV column. Every other hyperparameter is handed to
  xgboost unchanged (xgboost parses parameter strings itself; unknown names are an error there).
- channels ``train`` (required) and ``validation`` (optional), ``S3Prefix`` data, ``ContentType``
  ``text/csv`` (label in the first column, no header) or ``text/libsvm`` (the container's default
  when ContentType is absent); ``CompressionType`` ``Gzip`` is decompressed.
- output: ``<S3OutputPath>/<job name>/output/model.tar.gz`` holding ``xgboost-model``
  (``Booster.save_raw("ubj")``: readable by ``Booster.load_model`` of xgboost >= 1.6);
  FinalMetricDataList holds ``<channel>:<metric>`` at the last (or best, with early stopping) round.

Transform (CreateTransformJob of a model whose container runs that image):
- every object under ``TransformInput.DataSource.S3DataSource.S3Uri`` (``S3Prefix``), or exactly
  the objects its manifest lists (``ManifestFile``), CSV of features without header (or libsvm),
  ``SplitType`` ``Line`` or ``None``;
- writes ``<S3OutputPath>/<object key relative to the prefix's folder>.out`` (a manifest's
  objects: ``<suffix>.out``), one prediction per
  input record per line (probability of class 1 for ``binary:logistic``; comma-separated class
  probabilities for ``multi:softprob``). ``AssembleWith`` ``None`` is written like ``Line``.
- ``DataProcessing``: ``InputFilter`` / ``OutputFilter`` of the form ``$``, ``$[i]``,
  ``$[i,j,...]``, ``$[a:b]`` (negative indexes allowed) and ``JoinSource`` ``Input`` / ``None``
  on CSV input (fields split at commas; an object with a quoted field fails the job).
Not supported (the job fails and says so): AugmentedManifestFile data, Pipe-only
formats (RecordIO/protobuf, Parquet), ``Accept`` other than ``text/csv``, JSONPath filters
beyond the forms above, SplitType RecordIO/TFRecord.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from localcloud.sagemaker_jobs.errors import JobFailedError, UnsupportedImageError
from localcloud.sagemaker_jobs.s3io import S3, S3Location

MODEL_FILE_NAME = "xgboost-model"
CSV_TYPES = ("text/csv", "text/x-csv", "application/csv")
LIBSVM_TYPES = ("text/libsvm", "text/x-libsvm", "libsvm")
# Hyperparameters the container consumes itself rather than passing to xgboost.
_CONTAINER_HYPERPARAMETERS = frozenset(
    {
        "num_round",
        "early_stopping_rounds",
        "csv_weights",
        "silent",
        "save_model_on_termination",
        "use_dask_gpu_training",
        "_kfold",
        "_num_cv_round",
        "_tuning_objective_metric",
    }
)


def is_xgboost_image(image: str | None) -> bool:
    """``<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:<version>`` (or legacy ``xgboost``)."""
    if not image:
        return False
    repository = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    return repository in ("sagemaker-xgboost", "xgboost")


@dataclass(frozen=True)
class TrainingOutcome:
    model_data_url: str
    metrics: list[dict[str, Any]]
    rows: dict[str, int]


def _content_kind(content_type: str | None, *, default: str) -> str:
    base = (content_type or default).split(";", 1)[0].strip().lower()
    if base in CSV_TYPES:
        return "csv"
    if base in LIBSVM_TYPES:
        return "libsvm"
    raise JobFailedError(
        f"ClientError: local job runner supports text/csv and text/libsvm data, got {content_type!r}"
    )


def csv_matrix(data: bytes, where: str) -> np.ndarray:
    """Headerless numeric CSV to a float matrix; empty fields become NaN (xgboost's missing)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    if not data.strip():
        return np.empty((0, 0))
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        )
    except pa.ArrowInvalid as exc:
        raise JobFailedError(f"ClientError: cannot parse CSV in {where}: {exc}") from exc
    columns = []
    for index, column in enumerate(table.columns):
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
            if pa.types.is_null(column.type):
                columns.append(np.full(table.num_rows, np.nan))
                continue
            raise JobFailedError(
                f"ClientError: non-numeric value in column {index} of {where} "
                f"(a header row? the built-in XGBoost reads headerless numeric CSV)"
            )
        columns.append(column.to_numpy().astype(np.float64))
    return np.column_stack(columns) if columns else np.empty((table.num_rows, 0))


def _read_channel_matrix(s3: S3, channel: dict[str, Any]) -> tuple[np.ndarray, str]:
    """Concatenated data of a channel; returns the matrix (csv) or a libsvm temp file path."""
    source = channel.get("DataSource", {}).get("S3DataSource")
    name = channel.get("ChannelName", "?")
    if not source:
        raise JobFailedError(
            f"ClientError: channel {name!r} has no S3DataSource (only S3 is supported locally)"
        )
    data_type = source.get("S3DataType", "S3Prefix")
    if data_type != "S3Prefix":
        raise JobFailedError(
            f"ClientError: local job runner supports S3DataType S3Prefix only, got {data_type!r}"
        )
    gunzip = (channel.get("CompressionType") or "None") == "Gzip"
    kind = _content_kind(channel.get("ContentType"), default="text/libsvm")
    parts = s3.read_prefix(source["S3Uri"], gunzip=gunzip)
    if kind == "libsvm":
        handle, path = tempfile.mkstemp(suffix=".libsvm")
        with os.fdopen(handle, "wb") as out:
            for _, data in parts:
                out.write(data if data.endswith(b"\n") or not data else data + b"\n")
        return np.empty((0, 0)), path
    matrices = [csv_matrix(data, loc.uri) for loc, data in parts]
    matrices = [m for m in matrices if m.size]
    if not matrices:
        raise JobFailedError(f"ClientError: channel {name!r} holds no records under {source['S3Uri']}")
    widths = {m.shape[1] for m in matrices}
    if len(widths) > 1:
        raise JobFailedError(
            f"ClientError: channel {name!r} files have different column counts {sorted(widths)}"
        )
    return np.vstack(matrices), ""


def _dmatrix(s3: S3, channel: dict[str, Any], csv_weights: bool) -> Any:
    import xgboost as xgb

    matrix, libsvm_path = _read_channel_matrix(s3, channel)
    if libsvm_path:
        try:
            return xgb.DMatrix(f"{libsvm_path}?format=libsvm")
        except xgb.core.XGBoostError as exc:
            raise JobFailedError(f"ClientError: cannot parse libsvm data: {exc}") from exc
        finally:
            os.unlink(libsvm_path)
    first_feature = 2 if csv_weights else 1
    if matrix.shape[1] <= first_feature:
        raise JobFailedError(
            f"ClientError: channel {channel.get('ChannelName')!r} needs a label column and features"
        )
    label = matrix[:, 0]
    if np.isnan(label).any():
        raise JobFailedError(f"ClientError: missing label in channel {channel.get('ChannelName')!r}")
    weight = matrix[:, 1] if csv_weights else None
    return xgb.DMatrix(matrix[:, first_feature:], label=label, weight=weight, missing=np.nan)


def _xgb_params(hyperparameters: dict[str, str]) -> tuple[dict[str, Any], int, int | None, bool]:
    if "num_round" not in hyperparameters:
        raise JobFailedError("ClientError: Missing required hyperparameter: num_round")
    try:
        num_round = int(float(hyperparameters["num_round"]))
        early = hyperparameters.get("early_stopping_rounds")
        early_rounds = int(float(early)) if early not in (None, "") else None
    except ValueError as exc:
        raise JobFailedError(f"ClientError: invalid hyperparameter value: {exc}") from exc
    params: dict[str, Any] = {"objective": "reg:squarederror", "nthread": 1}
    for key, value in hyperparameters.items():
        if key in _CONTAINER_HYPERPARAMETERS or key.startswith("sagemaker_"):
            continue
        if key == "eval_metric":
            params[key] = [m.strip() for m in str(value).split(",") if m.strip()]
        else:
            params[key] = str(value)
    csv_weights = str(hyperparameters.get("csv_weights", "0")) == "1"
    return params, num_round, early_rounds, csv_weights


def train(described: dict[str, Any], s3: S3) -> TrainingOutcome:
    """Run a DescribeTrainingJob-shaped request; writes model.tar.gz and returns where it is."""
    import xgboost as xgb

    image = (described.get("AlgorithmSpecification") or {}).get("TrainingImage")
    if not is_xgboost_image(image):
        raise UnsupportedImageError(str(image or (described.get("AlgorithmSpecification") or {})))
    params, num_round, early_rounds, csv_weights = _xgb_params(described.get("HyperParameters") or {})
    channels = {c.get("ChannelName"): c for c in described.get("InputDataConfig") or []}
    if "train" not in channels:
        raise JobFailedError("ClientError: the built-in XGBoost needs a 'train' channel")
    dtrain = _dmatrix(s3, channels["train"], csv_weights)
    evals = [(dtrain, "train")]
    if "validation" in channels:
        evals.append((_dmatrix(s3, channels["validation"], csv_weights), "validation"))
    if early_rounds and len(evals) < 2:
        raise JobFailedError("ClientError: early_stopping_rounds needs a 'validation' channel")
    history: dict[str, dict[str, list[float]]] = {}
    try:
        booster = xgb.train(
            params,
            dtrain,
            num_boost_round=num_round,
            evals=evals,
            evals_result=history,
            early_stopping_rounds=early_rounds,
            verbose_eval=False,
        )
    except xgb.core.XGBoostError as exc:
        raise JobFailedError(f"AlgorithmError: xgboost: {str(exc).splitlines()[0]}") from exc
    final_round = booster.best_iteration if early_rounds else None
    now = datetime.now(UTC)
    metrics = [
        {
            "MetricName": f"{channel}:{metric}",
            "Value": float(values[final_round if final_round is not None else -1]),
            "Timestamp": now,
        }
        for channel, per_metric in history.items()
        for metric, values in per_metric.items()
    ]
    if early_rounds:
        booster = booster[: booster.best_iteration + 1]

    archive = io.BytesIO()
    raw = bytes(booster.save_raw("ubj"))
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo(MODEL_FILE_NAME)
        info.size = len(raw)
        info.mtime = int(now.timestamp())
        tar.addfile(info, io.BytesIO(raw))
    output_path = (described.get("OutputDataConfig") or {}).get("S3OutputPath")
    if not output_path:
        raise JobFailedError("ClientError: OutputDataConfig.S3OutputPath is required")
    target = S3Location.parse(output_path).child(f"{described['TrainingJobName']}/output/model.tar.gz")
    s3.write(target, archive.getvalue(), "application/x-gzip")
    rows = {name: int(d.num_row()) for d, name in evals}
    return TrainingOutcome(model_data_url=target.uri, metrics=metrics, rows=rows)


def load_booster(s3: S3, model_data_url: str) -> Any:
    import xgboost as xgb

    data = s3.read(S3Location.parse(model_data_url))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            member = next((m for m in members if os.path.basename(m.name) == MODEL_FILE_NAME), None)
            if member is None and len(members) == 1:
                member = members[0]
            if member is None:
                raise JobFailedError(f"ClientError: {model_data_url} holds no {MODEL_FILE_NAME}")
            extracted = tar.extractfile(member)
            raw = extracted.read() if extracted else b""
    except tarfile.TarError as exc:
        raise JobFailedError(f"ClientError: {model_data_url} is not a tar.gz model archive: {exc}") from exc
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(raw))
    except xgb.core.XGBoostError as exc:
        raise JobFailedError(f"ClientError: cannot load the XGBoost model in {model_data_url}") from exc
    return booster


_FILTER = re.compile(r"^\$(\[(?P<items>[^\]]*)\])?$")


def select(values: list[str], expression: str | None) -> list[str]:
    """Apply a CSV JSONPath filter (``$``, ``$[1:]``, ``$[0,-1]``, ``$[2]``) to a record."""
    if expression in (None, "", "$"):
        return values
    match = _FILTER.match(expression.replace(" ", ""))
    if not match or match.group("items") is None:
        raise JobFailedError(f"ClientError: local job runner does not support the filter {expression!r}")
    chosen: list[str] = []
    try:
        for item in match.group("items").split(","):
            if ":" in item:
                start, _, stop = item.partition(":")
                chosen.extend(values[int(start) if start else None : int(stop) if stop else None])
            else:
                chosen.append(values[int(item)])
    except (ValueError, IndexError) as exc:
        raise JobFailedError(
            f"ClientError: filter {expression!r} does not fit a record of {len(values)} fields"
        ) from exc
    return chosen


def _format(prediction: Any) -> list[str]:
    array = np.atleast_1d(np.asarray(prediction, dtype=np.float64))
    return [repr(float(v)) for v in array]


def transform_object(
    booster: Any, data: bytes, *, content_type: str | None, data_processing: dict[str, Any], where: str
) -> bytes:
    """Score one input object; returns the .out body."""
    import xgboost as xgb

    kind = _content_kind(content_type, default="text/csv")
    input_filter = data_processing.get("InputFilter")
    output_filter = data_processing.get("OutputFilter")
    join = (data_processing.get("JoinSource") or "None") == "Input"
    if kind == "libsvm":
        if input_filter not in (None, "", "$") or join:
            raise JobFailedError("ClientError: DataProcessing filters and joins need CSV input")
        handle, path = tempfile.mkstemp(suffix=".libsvm")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        try:
            matrix = xgb.DMatrix(f"{path}?format=libsvm")
        finally:
            os.unlink(path)
        records: list[list[str]] = []
    elif input_filter in (None, "", "$") and not join and output_filter in (None, "", "$"):
        features = csv_matrix(data, where)
        if not features.size:
            return b""
        matrix = xgb.DMatrix(features, missing=np.nan)
        records = []
    else:
        lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
        if any('"' in line for line in lines):
            # fields are split at commas: a quoted field would be cut in two, and the filter would
            # pick the wrong fields without a word
            raise JobFailedError(
                "ClientError: local job runner filters and joins unquoted CSV only; "
                f"{where} has a quoted field"
            )
        records = [line.split(",") for line in lines]
        if not records:
            return b""
        selected = [select(r, input_filter) for r in records]
        try:
            features = np.array([[float(v) if v.strip() else np.nan for v in r] for r in selected])
        except ValueError as exc:
            raise JobFailedError(f"ClientError: non-numeric feature in {where}: {exc}") from exc
        matrix = xgb.DMatrix(features, missing=np.nan)
    try:
        predictions = booster.predict(matrix, validate_features=False)
    except xgb.core.XGBoostError as exc:
        raise JobFailedError(f"ClientError: scoring {where} failed: {str(exc).splitlines()[0]}") from exc
    lines = []
    for index, prediction in enumerate(predictions):
        fields = _format(prediction)
        if join:
            fields = [v.strip() for v in records[index]] + fields
        lines.append(",".join(select(fields, output_filter)))
    return ("\n".join(lines) + "\n").encode("utf-8")


def transform(described: dict[str, Any], model_data_url: str, s3: S3) -> list[str]:
    """Run a DescribeTransformJob-shaped request; returns the output URIs written."""
    job_input = described.get("TransformInput") or {}
    source = (job_input.get("DataSource") or {}).get("S3DataSource") or {}
    data_type = source.get("S3DataType", "S3Prefix")
    if data_type not in ("S3Prefix", "ManifestFile"):
        raise JobFailedError(
            f"ClientError: local job runner supports S3DataType S3Prefix or ManifestFile, got {data_type!r}"
        )
    split = job_input.get("SplitType") or "None"
    if split not in ("None", "Line"):
        raise JobFailedError(f"ClientError: local job runner supports SplitType Line or None, got {split!r}")
    output = described.get("TransformOutput") or {}
    accept = (output.get("Accept") or "text/csv").split(";", 1)[0].strip().lower()
    if accept not in CSV_TYPES:
        raise JobFailedError(
            f"ClientError: local job runner writes text/csv output only, got Accept {accept!r}"
        )
    if not output.get("S3OutputPath"):
        raise JobFailedError("ClientError: TransformOutput.S3OutputPath is required")
    booster = load_booster(s3, model_data_url)
    prefix_uri = source.get("S3Uri", "")
    gunzip = (job_input.get("CompressionType") or "None") == "Gzip"
    if data_type == "ManifestFile":
        # exactly the manifest's objects, each named by its suffix below the manifest's prefix
        folder, objects = s3.read_manifest(prefix_uri)
        inputs: Iterator[tuple[S3Location, bytes]] = ((loc, s3.read(loc, gunzip=gunzip)) for loc in objects)
    else:
        prefix = S3Location.parse(prefix_uri)
        folder = prefix.key[: prefix.key.rfind("/") + 1] if "/" in prefix.key else ""
        inputs = iter(s3.read_prefix(prefix_uri, gunzip=gunzip))
    out_base = S3Location.parse(output["S3OutputPath"])
    written = []
    for loc, data in inputs:
        body = transform_object(
            booster,
            data,
            content_type=job_input.get("ContentType"),
            data_processing=described.get("DataProcessing") or {},
            where=loc.uri,
        )
        target = out_base.child(f"{loc.key[len(folder) :]}.out")
        s3.write(target, body, "text/csv")
        written.append(target.uri)
    return written
