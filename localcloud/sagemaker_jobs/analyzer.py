"""Processing jobs that run SageMaker Model Monitor's analyzer image, with the project's ``dataquality``.

The job is laid out as the Processing contract does it, in a temporary folder standing for the
container's file system: every ``ProcessingInputs[].S3Input`` is downloaded to its ``LocalPath``
(``S3Prefix``: every object under the prefix; ``ManifestFile``: exactly the manifest's objects,
each at its suffix);
the analyzer runs with the job's ``Environment`` (the container contract of
``sagemaker-model-monitor-analyzer``); afterwards every file under each
``ProcessingOutputConfig.Outputs[].S3Output.LocalPath`` is uploaded to its ``S3Uri``.

Environment read (as Model Monitor's analyzer and the SageMaker SDK's DefaultModelMonitor use it):
- ``dataset_source``: local folder holding the data (required);
- ``dataset_format``: ``{"csv": {"header": true|false}}`` (default: csv without header),
  ``{"json": {"lines": true}}`` or ``{"parquet": {}}``;
- ``output_path``: local folder the results go to (required);
- ``baseline_statistics`` and ``baseline_constraints``: local paths of a baseline's files. With both
  the job checks the data and writes ``statistics.json`` and ``constraint_violations.json``; with
  neither it suggests a baseline (``statistics.json`` and ``constraints.json``); one alone fails.
- ``analysis_type`` ``DATA_QUALITY`` (or absent).
Not supported (the job fails and says so): other images or a ContainerEntrypoint, ``analysis_type``
MODEL_QUALITY/MODEL_BIAS/..., ``sagemakerCaptureJson`` (endpoint data capture), the
``record_preprocessor_script`` and ``post_analytics_processor_script`` hooks,
non-S3 inputs (Athena/Redshift dataset definitions). ``publish_cloudwatch_metrics`` is accepted but
no CloudWatch metrics are published.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from localcloud.sagemaker_jobs.errors import JobFailedError, UnsupportedImageError
from localcloud.sagemaker_jobs.s3io import S3, S3Location

ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"


def is_analyzer_image(image: str | None) -> bool:
    if not image:
        return False
    return image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0] == ANALYZER_REPOSITORY


def _relative_key(prefix: str, key: str) -> str:
    """Where an object lands under LocalPath: its key after the prefix (its name if it is the prefix)."""
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    if prefix.endswith("/") or key[len(prefix) : len(prefix) + 1] == "/":
        return key[len(prefix) :].lstrip("/")
    return key[prefix.rfind("/") + 1 :]


class Container:
    """A temporary folder standing for the container's file system."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def path(self, container_path: str) -> Path:
        if not container_path.startswith("/"):
            raise JobFailedError(f"ClientError: {container_path!r} is not an absolute container path")
        local = (self.root / container_path.lstrip("/")).resolve()
        if not local.is_relative_to(self.root.resolve()):
            raise JobFailedError(f"ClientError: {container_path!r} leaves the container")
        return local


def _download_inputs(described: dict[str, Any], s3: S3, box: Container) -> None:
    for item in described.get("ProcessingInputs") or []:
        source = item.get("S3Input")
        if source is None:
            raise JobFailedError(
                f"ClientError: input {item.get('InputName')!r}: local job runner supports S3Input only"
            )
        data_type = source.get("S3DataType", "S3Prefix")
        if data_type not in ("S3Prefix", "ManifestFile"):
            raise JobFailedError(
                f"ClientError: input {item.get('InputName')!r}: S3DataType {data_type!r} "
                "is not supported locally (S3Prefix or ManifestFile)"
            )
        local = box.path(source["LocalPath"])
        local.mkdir(parents=True, exist_ok=True)
        gunzip = (source.get("S3CompressionType") or "None") == "Gzip"
        if data_type == "ManifestFile":
            # exactly the manifest's objects, each at its suffix below LocalPath
            folder, objects = s3.read_manifest(source["S3Uri"])
            for loc in objects:
                target = box.path(f"{source['LocalPath'].rstrip('/')}/{loc.key[len(folder) :]}")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.read(loc, gunzip=gunzip))
            continue
        prefix = S3Location.parse(source["S3Uri"])
        for loc, data in s3.read_prefix(prefix.uri, gunzip=gunzip):
            target = local / _relative_key(prefix.key, loc.key)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def _upload_outputs(described: dict[str, Any], s3: S3, box: Container) -> list[str]:
    written = []
    for item in (described.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        target = item.get("S3Output")
        if target is None:
            continue
        local = box.path(target["LocalPath"])
        base = S3Location.parse(target["S3Uri"])
        for file in sorted(p for p in local.rglob("*") if p.is_file()) if local.exists() else []:
            loc = base.child(file.relative_to(local).as_posix())
            content_type = "application/json" if file.suffix == ".json" else None
            s3.write(loc, file.read_bytes(), content_type)
            written.append(loc.uri)
    return written


def _dataset_format(raw: str | None) -> tuple[str, bool]:
    if not raw:
        return "csv", False
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise JobFailedError(f"ClientError: dataset_format is not JSON: {raw!r}") from exc
    if not isinstance(spec, dict) or len(spec) != 1:
        raise JobFailedError(f"ClientError: dataset_format must name one format, got {raw!r}")
    kind, options = next(iter(spec.items()))
    options = options or {}
    if kind == "csv":
        return "csv", str(options.get("header", False)).lower() == "true"
    if kind == "json":
        if str(options.get("lines", True)).lower() != "true":
            raise JobFailedError("ClientError: only JSON Lines datasets are supported locally")
        return "jsonl", False
    if kind == "parquet":
        return "parquet", False
    raise JobFailedError(f"ClientError: dataset_format {kind!r} is not supported by the local analyzer")


def _read_json(box: Container, environment: dict[str, str], name: str) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(box.path(environment[name]).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise JobFailedError(
            f"ClientError: {name} file {environment[name]} not found (no ProcessingInput put it there)"
        ) from exc
    except json.JSONDecodeError as exc:
        raise JobFailedError(f"ClientError: {name} is not valid JSON: {exc}") from exc
    return doc


def _dataquality() -> Any:
    import dataquality

    if not hasattr(dataquality, "check"):
        # A folder named dataquality on sys.path (e.g. tests/dataquality) shadows the package.
        where = list(getattr(dataquality, "__path__", []))
        raise JobFailedError(f"AlgorithmError: 'dataquality' resolves to {where}, not the analyzer package")
    return dataquality


def analyze(environment: dict[str, str], box: Container) -> str:
    """Run the analyzer contract inside ``box``; returns "baseline" or "check"."""
    dataquality = _dataquality()

    for unsupported in ("record_preprocessor_script", "post_analytics_processor_script"):
        if environment.get(unsupported):
            raise JobFailedError(f"ClientError: local analyzer does not support {unsupported}")
    analysis = (environment.get("analysis_type") or "DATA_QUALITY").upper()
    if analysis != "DATA_QUALITY":
        raise JobFailedError(
            f"ClientError: local analyzer supports analysis_type DATA_QUALITY only, got {analysis}"
        )
    for required in ("dataset_source", "output_path"):
        if not environment.get(required):
            raise JobFailedError(f"ClientError: environment variable {required} is required by the analyzer")
    data_format, has_header = _dataset_format(environment.get("dataset_format"))
    source = box.path(environment["dataset_source"])
    output = box.path(environment["output_path"])
    statistics_path = environment.get("baseline_statistics")
    constraints_path = environment.get("baseline_constraints")
    if bool(statistics_path) != bool(constraints_path):
        raise JobFailedError("ClientError: baseline_statistics and baseline_constraints go together")
    try:
        if statistics_path and constraints_path:
            result = dataquality.check(
                str(source),
                baseline_statistics=_read_json(box, environment, "baseline_statistics"),
                baseline_constraints=_read_json(box, environment, "baseline_constraints"),
                has_header=has_header,
                data_format=data_format,
            )
            result.write(str(output))
            return "check"
        baseline = dataquality.suggest_baseline(str(source), has_header=has_header, data_format=data_format)
        baseline.write(str(output))
        return "baseline"
    except dataquality.DataQualityError as exc:
        raise JobFailedError(f"AlgorithmError: {type(exc).__name__}: {exc}") from exc


def run(described: dict[str, Any], s3: S3) -> list[str]:
    """Run a DescribeProcessingJob-shaped request; returns the S3 URIs written."""
    spec = described.get("AppSpecification") or {}
    image = spec.get("ImageUri")
    if not is_analyzer_image(image):
        raise UnsupportedImageError(str(image or "(no image)"))
    if spec.get("ContainerEntrypoint"):
        raise UnsupportedImageError(" ".join(spec["ContainerEntrypoint"]), what="entrypoint")
    with tempfile.TemporaryDirectory(prefix="localcloud-processing-") as root:
        box = Container(root)
        _download_inputs(described, s3, box)
        environment = {str(k): str(v) for k, v in (described.get("Environment") or {}).items()}
        analyze(environment, box)
        return _upload_outputs(described, s3, box)
