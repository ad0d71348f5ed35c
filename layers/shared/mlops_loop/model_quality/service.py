"""The model-quality check of one run's label set (docs/model-quality.md), reading and writing through ports.

`check` finds the run the labels name, joins, computes and compares, and writes the run's
model-quality outputs except `verdict.json`; the caller acts on the verdict and then `record`s it
(`verdict.json` last: its presence means "this label set was checked and acted on").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dataquality import model_quality as mq

from mlops_loop import registry, run_layout
from mlops_loop.model_quality import report
from mlops_loop.model_quality.check import (
    PROBLEM_TYPES,
    MetricComparison,
    Verdict,
    compare,
    decide,
    statistics_of,
    violations_document,
)
from mlops_loop.model_quality.errors import (
    InvalidGroundTruthKey,
    MissingModelQualityBaseline,
    PredictionsNotFound,
    RunMismatch,
    RunNotFound,
)
from mlops_loop.model_quality.join import JoinResult, LabelObject, join, predictions_in_order
from mlops_loop.ports import ArtifactNotFound, ArtifactStore, ModelRegistry
from mlops_loop.s3uri import S3Uri

MARKER = "_SUCCESS"
OUTPUT_FOLDER = "model-quality"
STATISTICS = "statistics.json"
VIOLATIONS = "constraint_violations.json"
VERDICT = "verdict.json"
REPORT = "report.html"
LABEL_SET_ID_LENGTH = 16


@dataclass(frozen=True)
class Settings:
    artifacts_bucket: str
    output_prefix: str
    ground_truth_prefix: str
    model_package_group: str
    id_column: str = "record_id"
    problem_type: str = "BinaryClassification"
    min_rows: int = 100
    tolerance: float = 0.05


@dataclass(frozen=True)
class RunRef:
    """The run a label folder names: `<ground-truth prefix>/<group>/v<version>/<run id>/`."""

    group: str
    version: int
    run_id: str

    @classmethod
    def from_key(cls, key: str, ground_truth_prefix: str) -> RunRef:
        prefix = ground_truth_prefix.strip("/") + "/"
        match = re.fullmatch(r"([^/]+)/v([1-9][0-9]*)/([^/]+)/.*", key[len(prefix) :])
        if not key.startswith(prefix) or match is None:
            raise InvalidGroundTruthKey(
                f"{key!r} is not under {prefix}<group>/v<version>/<run id>/ (docs/model-quality.md)"
            )
        return cls(match[1], int(match[2]), match[3])

    def labels(self, cfg: Settings) -> S3Uri:
        return S3Uri(cfg.artifacts_bucket, "").join(
            cfg.ground_truth_prefix, self.group, f"v{self.version}", self.run_id
        )

    def run(self, cfg: Settings) -> S3Uri:
        return run_layout.version_prefix(
            cfg.artifacts_bucket, cfg.output_prefix, self.group, self.version
        ).join(self.run_id)


@dataclass(frozen=True)
class Listed:
    """A label object as ListObjectsV2 gives it."""

    key: str
    etag: str
    last_modified: datetime


Lister = Callable[[S3Uri], list[Listed]]


def label_objects(listed: list[Listed]) -> list[Listed]:
    """The label objects of a folder: `.csv`, not hidden, not the marker, not a folder marker."""
    out = []
    for item in listed:
        name = item.key.rsplit("/", 1)[-1]
        if name and not name.startswith(("_", ".")) and name.lower().endswith(".csv"):
            out.append(item)
    return out


def label_set_id(objects: list[Listed]) -> str:
    """The same objects (keys and ETags) give the same id; any change gives another."""
    digest = hashlib.sha256()
    for item in sorted(objects, key=lambda i: i.key):
        digest.update(f"{item.key}\n{item.etag.strip(chr(34))}\n".encode())
    return digest.hexdigest()[:LABEL_SET_ID_LENGTH]


@dataclass
class CheckOutcome:
    """What the check found; `verdict_document` is what `record` writes as verdict.json."""

    ref: RunRef
    label_set_id: str
    output: S3Uri
    verdict: Verdict
    model_package_arn: str
    live_model_package_arn: str | None
    joined: JoinResult | None
    comparisons: list[MetricComparison]
    batch_input_s3_uri: str
    baseline_statistics_s3_uri: str | None
    baseline_values: dict[str, float] = field(default_factory=dict)
    already_checked: bool = False
    stored: dict[str, Any] | None = None

    @property
    def statistics_s3_uri(self) -> str:
        return str(self.output.join(STATISTICS))

    @property
    def report_s3_uri(self) -> str:
        return str(self.output.join(REPORT))

    @property
    def violations_s3_uri(self) -> str:
        return str(self.output.join(VIOLATIONS))

    @property
    def episode_id(self) -> str:
        return f"{self.ref.run_id}-model-quality"

    def verdict_document(self, actions: dict[str, Any]) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "runId": self.ref.run_id,
            "modelPackageGroupName": self.ref.group,
            "modelPackageVersion": self.ref.version,
            "modelPackageArn": self.model_package_arn,
            "liveModelPackageArn": self.live_model_package_arn,
            "labelSetId": self.label_set_id,
            "rows": self.joined.report() if self.joined else None,
            "metrics": [
                c.to_dict() | {"baseline": self.baseline_values.get(c.metric_name)} for c in self.comparisons
            ],
            "statisticsS3Uri": self.statistics_s3_uri,
            "reportS3Uri": self.report_s3_uri,
            "violationsS3Uri": self.violations_s3_uri if any(c.violated for c in self.comparisons) else None,
            "actions": actions,
            "checkedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def _folder(uri: S3Uri) -> S3Uri:
    """A folder's listing prefix (ends in '/', so `run-1` does not list `run-10`)."""
    return S3Uri(uri.bucket, uri.key.rstrip("/") + "/")


def _json(store: ArtifactStore, uri: str | S3Uri, missing: type[Exception], what: str) -> Any:
    target = uri if isinstance(uri, S3Uri) else S3Uri.parse(uri)
    try:
        return json.loads(store.read(target))
    except ArtifactNotFound:
        raise missing(f"{what} {target} does not exist") from None


def _baseline_uri(raw: dict[str, Any], name: str) -> str | None:
    for block in (raw.get("DriftCheckBaselines") or {}, raw.get("ModelMetrics") or {}):
        uri = (((block.get("ModelQuality") or {}).get(name)) or {}).get("S3Uri")
        if uri:
            return str(uri)
    return None


def check(
    ref: RunRef, cfg: Settings, store: ArtifactStore, lister: Lister, models: ModelRegistry | None = None
) -> CheckOutcome:
    """Join, compute, compare, write statistics.json (and constraint_violations.json when violated)."""
    run = ref.run(cfg)
    record = _json(
        store, run.join(run_layout.MONITORING, "verdict.json"), RunNotFound, "the run's monitoring record"
    )
    if record.get("runId") != ref.run_id or record.get("modelPackageVersion") != ref.version:
        raise RunMismatch(
            f"{run}: its record names run {record.get('runId')!r} of v{record.get('modelPackageVersion')}, "
            f"the labels' folder run {ref.run_id!r} of v{ref.version}"
        )
    labels = label_objects(lister(_folder(ref.labels(cfg))))
    set_id = label_set_id(labels)
    out = run.join(OUTPUT_FOLDER, set_id)
    package_arn = str(record["modelPackageArn"])
    base = CheckOutcome(
        ref=ref,
        label_set_id=set_id,
        output=out,
        verdict="clean",
        model_package_arn=package_arn,
        live_model_package_arn=None,
        joined=None,
        comparisons=[],
        batch_input_s3_uri=str(record.get("batchInputS3Uri", "")),
        baseline_statistics_s3_uri=str(record.get("baselineStatisticsS3Uri", "")) or None,
    )
    try:
        stored = json.loads(store.read(out.join(VERDICT)))
        base.already_checked, base.stored, base.verdict = True, stored, stored["verdict"]
        return base
    except ArtifactNotFound:
        pass
    problem = PROBLEM_TYPES[cfg.problem_type]
    folder = _folder(run.join(run_layout.PREDICTIONS))
    outputs = [u for u in store.keys(folder) if u.key.endswith(".out")]
    if not outputs:
        raise PredictionsNotFound(f"no .out object under {folder}")
    predictions = predictions_in_order((u.key[len(folder.key) :], store.read(u)) for u in outputs)
    texts = [
        LabelObject(o.key, o.last_modified, store.read(S3Uri(cfg.artifacts_bucket, o.key))) for o in labels
    ]
    joined = join(predictions, texts, id_column=cfg.id_column, problem_type=problem)
    package = registry.describe(package_arn, models)
    constraints_uri = _baseline_uri(package.raw, "Constraints")
    if constraints_uri is None:
        raise MissingModelQualityBaseline(
            f"{ref.group} v{ref.version} ({package_arn}) has no model-quality constraints: register "
            "DriftCheckBaselines.ModelQuality or ModelMetrics.ModelQuality (docs/model-quality.md)"
        )
    constraints = mq.parse_model_quality_constraints(
        _json(store, constraints_uri, MissingModelQualityBaseline, "model-quality constraints"),
        constraints_uri,
    )
    baseline: mq.ModelQualityStatistics | None = None
    statistics_uri = _baseline_uri(package.raw, "Statistics")
    if statistics_uri is not None:
        baseline = mq.parse_model_quality_statistics(
            _json(store, statistics_uri, MissingModelQualityBaseline, "model-quality statistics"),
            statistics_uri,
        )
    baseline_values = {k: m.value for k, m in baseline.metrics.items()} if baseline is not None else {}
    stats = statistics_of(joined, problem)
    comparisons = compare(stats, constraints, cfg.tolerance)
    live = registry.latest_approved(registry.GroupRef.parse(cfg.model_package_group), models)[
        "ModelPackageArn"
    ]
    verdict = decide(
        live=live == package_arn,
        matched=joined.counts.matched,
        min_rows=cfg.min_rows,
        comparisons=comparisons,
    )
    store.write(out.join(STATISTICS), json.dumps(stats.to_dict(), indent=2).encode(), "application/json")
    violations = violations_document(comparisons, cfg.tolerance)
    if violations is not None:
        store.write(out.join(VIOLATIONS), json.dumps(violations, indent=2).encode(), "application/json")
    page = report.render(
        title=f"Model quality: {ref.group} v{ref.version}, run {ref.run_id}, label set {set_id}",
        verdict=verdict,
        rows=joined.report(),
        comparisons=comparisons,
        stats=stats,
        baseline=baseline,
        tolerance=cfg.tolerance,
    )
    store.write(out.join(REPORT), page.encode("utf-8"), "text/html; charset=utf-8")
    base.verdict, base.live_model_package_arn, base.joined = verdict, live, joined
    base.comparisons, base.baseline_values = comparisons, baseline_values
    return base


def record(outcome: CheckOutcome, store: ArtifactStore, actions: dict[str, Any]) -> dict[str, Any]:
    """Write verdict.json, last: the label set is checked and acted on."""
    doc = outcome.verdict_document(actions)
    store.write(
        outcome.output.join(VERDICT), json.dumps(doc, indent=2, sort_keys=True).encode(), "application/json"
    )
    return doc
