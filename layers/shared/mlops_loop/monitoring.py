"""MonitorBatch's logic: data-quality monitoring of a batch against the model version's baseline.

It runs before any transform: `list` lists the batch once (`dataquality.batch_objects`) into the
run's manifest, which the transform job, every engine and the report then read, so a broken batch
fails before anything is paid for. `analyze` runs the `dataquality` analyzer here (the default
engine); `judge` reads the files a SageMaker Model Monitor Processing job wrote; `sketch` +
`merge` are the distributed engine (a Step Functions Distributed Map runs `sketch` on each listed
object, writing a partial profile under `partials/`; `merge` merges them, as exactly as the
sketches merge, and checks the whole).
Either way the run's monitoring prefix
(`<OUTPUT_PREFIX>/<group>/v<version>/<runId>/monitoring/`) ends up holding `statistics.json`,
`constraint_violations.json` (Model Monitor's formats), `report.html` and `verdict.json`, and the
state machine gets a MonitoringResult. `dataquality` is imported lazily: only this function ships
its layer (with numpy/pyarrow), the other functions stay light.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from mlops_loop import adapters, links, notifications, run_layout
from mlops_loop.errors import (
    BaselineObjectNotFound,
    BaselineUnreadable,
    BatchInputNotFound,
    InvalidBaseline,
    InvalidEvent,
    MonitoringOutputInvalid,
    MonitoringOutputNotFound,
    MonitoringOutputUnreadable,
)
from mlops_loop.models.drift import DataDriftDetectedDetail
from mlops_loop.models.failure import FailureCause
from mlops_loop.models.monitoring import (
    BatchListing,
    MonitorBatchRequest,
    MonitoringResult,
    SketchResult,
)
from mlops_loop.models.notification import Notification
from mlops_loop.models.payloads import Verdict, Violation
from mlops_loop.observability import logger, metrics
from mlops_loop.ports import ArtifactNotFound, ArtifactStore, ArtifactUnreadable
from mlops_loop.s3uri import S3Uri
from mlops_loop.settings import MonitorBatchSettings

STATISTICS = "statistics.json"
VIOLATIONS = "constraint_violations.json"
REPORT = "report.html"
VERDICT = "verdict.json"
PARTIALS = "partials"  # under the monitoring prefix: one profile per object of the batch (sketch)
#: The fields of each item of the run's batch listing (the Distributed Map reads `itemS3Uri`).
BATCH_ITEM_URI = "itemS3Uri"
BATCH_ITEM_FORMAT = "format"
MAX_FEATURE_METRICS = 100
#: A Fail state's cause stays far below Step Functions' 32,768 characters: the first violations.
MAX_FAILURE_VIOLATIONS = 50


def _output_location(req: MonitorBatchRequest, cfg: MonitorBatchSettings) -> S3Uri:
    """The run's monitoring folder; a run laid out by hand must still put it under the model
    version's prefix (lineage)."""
    group, version = req.model.model_package_group_name, req.model.model_package_version
    lineage = run_layout.version_prefix(cfg.artifacts_bucket, cfg.output_prefix, group, version)
    out = S3Uri.parse(req.output_s3_uri)
    if out.bucket != lineage.bucket or not (out.key.rstrip("/") + "/").startswith(lineage.key + "/"):
        raise InvalidEvent(
            f"run.monitoringS3Uri must lie under s3://{lineage.bucket}/{lineage.key}/ (lineage)"
        )
    return S3Uri(out.bucket, out.key.rstrip("/"))


def _under_version(req: MonitorBatchRequest, cfg: MonitorBatchSettings, uri: str, what: str) -> S3Uri:
    """A place of the run that MonitorBatch writes must lie under the model version's prefix."""
    group, version = req.model.model_package_group_name, req.model.model_package_version
    lineage = run_layout.version_prefix(cfg.artifacts_bucket, cfg.output_prefix, group, version)
    loc = S3Uri.parse(uri)
    if loc.bucket != lineage.bucket or not loc.key.startswith(lineage.key + "/"):
        raise InvalidEvent(f"{what} must lie under s3://{lineage.bucket}/{lineage.key}/ (lineage)")
    return loc


def manifest(batch_input_s3_uri: str, object_uris: list[str]) -> list[Any]:
    """SageMaker's manifest of exactly these objects: `[{"prefix": ...}, suffix, ...]`, each object
    being prefix + suffix (API Reference, TransformS3DataSource and ProcessingS3Input, S3DataType
    ManifestFile). The prefix is the batch's folder (a batch given as one object: its folder)."""
    batch = S3Uri.parse(batch_input_s3_uri)
    if object_uris == [batch_input_s3_uri] and not batch.key.endswith("/"):
        folder = batch.key.rpartition("/")[0]
        folder = folder + "/" if folder else ""
    else:
        folder = batch.key if batch.key.endswith("/") or not batch.key else batch.key + "/"
    prefix = f"s3://{batch.bucket}/{folder}"
    outside = [u for u in object_uris if not u.startswith(prefix) or u == prefix]
    if outside:
        raise InvalidEvent(f"objects outside the batch {prefix}: {outside[:3]}")
    return [{"prefix": prefix}, *(u[len(prefix) :] for u in object_uris)]


def list_batch(req: MonitorBatchRequest, cfg: MonitorBatchSettings, store: ArtifactStore) -> BatchListing:
    """List the batch once, by `dataquality.batch_objects` (one definition of "the batch"), into
    the run's manifest (what the transform job and Model Monitor's job read) and the same objects
    as items (what the Distributed Map and `analyze`/`merge` read): every engine reads, the
    transform scores, and the report counts the same objects. Nothing there is
    BatchInputNotFound; only markers or empty objects, EmptyBatch; an object of an unknown format,
    UnknownFormat naming it; a listing refused, UnreadableInput."""
    import dataquality
    from dataquality import errors as dq_errors

    manifest_uri = _under_version(req, cfg, req.manifest_s3_uri, "run.batchManifestS3Uri")
    objects_uri = _under_version(req, cfg, req.objects_s3_uri, "run.batchObjectsKey")
    try:
        files = dataquality.batch_objects(req.batch_input_s3_uri)
    except dq_errors.BatchNotFound as exc:
        raise BatchInputNotFound(str(exc)) from None
    items = [{BATCH_ITEM_URI: f.uri, BATCH_ITEM_FORMAT: f.fmt} for f in files]
    store.write(
        manifest_uri,
        json.dumps(manifest(req.batch_input_s3_uri, [f.uri for f in files])).encode(),
        "application/json",
    )
    store.write(objects_uri, json.dumps(items).encode(), "application/json")
    metrics.add_dimension(name="ModelPackageGroup", value=req.model.model_package_group_name)
    metrics.add_metric(name="BatchObjects", unit=MetricUnit.Count, value=len(files))
    logger.info("Batch listed", extra={"objects": len(files), "manifest": str(manifest_uri)})
    return BatchListing(
        objects=len(files), manifest_s3_uri=str(manifest_uri), objects_s3_uri=str(objects_uri)
    )


def _listed(req: MonitorBatchRequest, store: ArtifactStore) -> list[Any]:
    """The batch as ListBatch listed it for this run (`dataquality.DataFile`s): read, never listed again."""
    import dataquality

    items = read_json(
        store, req.objects_s3_uri, missing=MonitoringOutputNotFound, what="the run's batch listing"
    )
    try:
        return [dataquality.DataFile(i[BATCH_ITEM_URI], i[BATCH_ITEM_FORMAT]) for i in items]
    except (TypeError, KeyError) as exc:
        raise MonitoringOutputNotFound(f"the run's batch listing at {req.objects_s3_uri}: {exc}") from None


def read_json(
    store: ArtifactStore,
    uri: str,
    *,
    missing: type[Exception],
    what: str,
    unreadable: type[Exception] | None = None,
    invalid: type[Exception] = InvalidBaseline,
) -> Any:
    """A JSON document. Absent is `missing`; present but unreadable (a refusal) is `unreadable`,
    `missing` too unless the caller tells them apart; not JSON is `invalid`."""
    try:
        body = store.read(S3Uri.parse(uri))
    except ArtifactNotFound as exc:
        raise missing(f"{what} not found at {uri}: {exc}") from None
    except ArtifactUnreadable as exc:
        raise (unreadable or missing)(f"{what} not readable at {uri}: {exc}") from None
    try:
        return json.loads(body)
    except ValueError:
        raise invalid(f"{what} at {uri} is not JSON") from None


def _put(store: ArtifactStore, loc: S3Uri, name: str, body: str, content_type: str) -> str:
    target = loc.join(name)
    store.write(target, body.encode("utf-8"), content_type)
    return str(target)


def _violations(doc: Any) -> list[Violation]:
    items = doc.get("violations", []) if isinstance(doc, dict) else doc
    return msgspec.convert(items or [], list[Violation])


def _emit_metrics(group: str, verdict: str, distances: dict[str, float], violation_count: int) -> None:
    metrics.add_dimension(name="ModelPackageGroup", value=group)
    metrics.add_metric(name="ConstraintViolations", unit=MetricUnit.Count, value=violation_count)
    metrics.add_metric(name="DriftDetected", unit=MetricUnit.Count, value=int(verdict == "drift"))
    metrics.add_metric(
        name="DataQualityFailures", unit=MetricUnit.Count, value=int(verdict == "data_quality_failure")
    )
    for feature, distance in sorted(distances.items())[:MAX_FEATURE_METRICS]:
        with single_metric(name="DriftDistance", unit=MetricUnit.NoUnit, value=distance) as metric:
            metric.add_dimension(name="ModelPackageGroup", value=group)
            metric.add_dimension(name="Feature", value=feature)


def _drift_outcome(
    req: MonitorBatchRequest,
    cfg: MonitorBatchSettings,
    violations: list[Violation],
    drifted: list[str],
    report_uri: str,
) -> tuple[DataDriftDetectedDetail, Notification]:
    """The drift event's detail and the drift mail; the episode is the batch-inference execution."""
    if not req.execution_arn:
        raise InvalidEvent(
            "MonitorBatchRequest: a drift verdict needs executionArn (its event and mail name it)"
        )
    model = req.model
    event = DataDriftDetectedDetail(
        model_package_group_name=model.model_package_group_name,
        model_package_arn=model.model_package_arn,
        model_package_version=model.model_package_version,
        drift_episode_id=req.execution_arn.rsplit(":", 1)[-1],
        execution_arn=req.execution_arn,
        drifted_features=drifted,
        violations=violations,
        report_s3_uri=report_uri,
        environment=cfg.environment_name,
    )
    mail = notifications.drift_detected(
        env=cfg.environment_name,
        group=model.model_package_group_name,
        version=model.model_package_version,
        model_package_arn=model.model_package_arn,
        execution_arn=req.execution_arn,
        drifted_features=drifted,
        report_s3_uri=report_uri,
        region=links.region_of_arn(req.execution_arn),
        predictions_s3_uri=req.predictions_s3_uri,
    )
    return event, mail


def _failure(
    req: MonitorBatchRequest, out: S3Uri, violations: list[Violation], report_uri: str
) -> FailureCause:
    """The DataQualityFailure Fail state's cause: which checks failed and where to look."""
    return FailureCause(
        step="MonitorBatch",
        error="DataQualityFailure",
        run_id=req.run_id,
        model_package_group_name=req.model.model_package_group_name,
        model_package_version=req.model.model_package_version,
        violations=[
            Violation(feature_name=v.feature_name, constraint_check_type=v.constraint_check_type)
            for v in violations[:MAX_FAILURE_VIOLATIONS]
        ],
        s3_uris=[report_uri, str(out.join(VIOLATIONS))],
    )


def _finish(
    req: MonitorBatchRequest,
    cfg: MonitorBatchSettings,
    store: ArtifactStore,
    out: S3Uri,
    *,
    verdict: str,
    violations: list[Violation],
    distances: dict[str, float],
    drifted: list[str],
    report_html: str,
    engine: str,
    objects: int,
    drift_disagreements: dict[str, str] | None = None,
) -> MonitoringResult:
    # ClassifyOutcome in the ASL knows these verdicts only; a Struct built by keyword is not checked.
    checked: Verdict = msgspec.convert(verdict, Verdict)
    report_uri = _put(store, out, REPORT, report_html, "text/html; charset=utf-8")
    verdict_doc = {
        "verdict": verdict,
        "driftedFeatures": drifted,
        "featureDistances": distances,
        "violationCount": len(violations),
        "engine": engine,
        "modelPackageArn": req.model.model_package_arn,
        "modelPackageVersion": req.model.model_package_version,
        "runId": req.run_id,
        "batchInputS3Uri": req.batch_input_s3_uri,
        "batchManifestS3Uri": req.manifest_s3_uri,
        "batchObjects": objects,
        "baselineStatisticsS3Uri": req.baseline_statistics_s3_uri,
        "baselineConstraintsS3Uri": req.baseline_constraints_s3_uri,
        "analyzedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if drift_disagreements:
        verdict_doc["driftDisagreements"] = drift_disagreements
    _put(store, out, VERDICT, json.dumps(verdict_doc, indent=2, sort_keys=True), "application/json")
    _emit_metrics(req.model.model_package_group_name, verdict, distances, len(violations))
    drift_event, mail = (
        _drift_outcome(req, cfg, violations, drifted, report_uri) if checked == "drift" else (None, None)
    )
    result = MonitoringResult(
        verdict=checked,
        drifted_features=drifted,
        violations=violations,
        feature_distances=distances,
        statistics_s3_uri=str(out.join(STATISTICS)),
        violations_s3_uri=str(out.join(VIOLATIONS)),
        report_s3_uri=report_uri,
        drift_event=drift_event,
        notification=mail,
        failure=_failure(req, out, violations, report_uri) if checked == "data_quality_failure" else None,
    )
    logger.info(
        "Monitoring verdict",
        extra={
            "verdict": verdict,
            "driftedFeatures": drifted,
            "violations": len(violations),
            "output": str(out),
        },
    )
    return result


def _baselines(req: MonitorBatchRequest, store: ArtifactStore) -> tuple[dict[str, Any], dict[str, Any]]:
    statistics = read_json(
        store,
        req.baseline_statistics_s3_uri,
        missing=BaselineObjectNotFound,
        unreadable=BaselineUnreadable,
        what="baseline statistics",
    )
    constraints = read_json(
        store,
        req.baseline_constraints_s3_uri,
        missing=BaselineObjectNotFound,
        unreadable=BaselineUnreadable,
        what="baseline constraints",
    )
    return statistics, constraints


#: The name the record-id column is read under in a batch without a header (it is then dropped).
RECORD_ID = "__record_id__"


def _without_record_ids(profile: Any) -> Any:
    """The profile without its first column (BatchRecordIds=FirstColumn): the id is no feature,
    the baseline has no such column, and an id column checked would be an extra_column_check
    violation. Profile.columns is in file order."""
    first = next(iter(profile.columns), None)
    if first is not None:
        del profile.columns[first]
    return profile


def _title(req: MonitorBatchRequest) -> str:
    model = req.model
    return f"Data quality: {model.model_package_group_name} v{model.model_package_version}, run {req.run_id}"


def analyze(req: MonitorBatchRequest, cfg: MonitorBatchSettings, store: ArtifactStore) -> MonitoringResult:
    import dataquality
    from dataquality import errors as dq_errors

    out = _output_location(req, cfg)
    baseline_statistics, baseline_constraints = _baselines(req, store)
    files = _listed(req, store)
    try:
        if req.run.record_ids:
            names = dataquality.baseline_column_names(baseline_statistics, baseline_constraints)
            profile = dataquality.profile_sources(
                files, has_header=req.has_header, column_names=[RECORD_ID, *names]
            )
            result = dataquality.check_profile(
                _without_record_ids(profile),
                baseline_statistics=baseline_statistics,
                baseline_constraints=baseline_constraints,
            )
        else:
            result = dataquality.check(
                files,
                baseline_statistics=baseline_statistics,
                baseline_constraints=baseline_constraints,
                has_header=req.has_header,
            )
    except dq_errors.BaselineFormatError as exc:
        raise InvalidBaseline(f"baseline of v{req.model.model_package_version}: {exc}") from None
    return _finish_check(
        req,
        cfg,
        store,
        out,
        result,
        baseline_statistics=baseline_statistics,
        engine="dataquality",
        objects=len(files),
    )


def _finish_check(
    req: MonitorBatchRequest,
    cfg: MonitorBatchSettings,
    store: ArtifactStore,
    out: S3Uri,
    result: Any,
    *,
    baseline_statistics: dict[str, Any],
    engine: str,
    objects: int,
) -> MonitoringResult:
    """Write a dataquality CheckResult's files, its report and verdict; the state machine's result."""
    import dataquality

    result.write(str(out))
    summary = result.summary()
    report = dataquality.render_report(
        baseline_statistics,
        result.statistics,
        result.violations,
        title=_title(req),
        feature_distances=result.feature_distances,
    )
    return _finish(
        req,
        cfg,
        store,
        out,
        verdict=summary["verdict"],
        violations=_violations(result.violations),
        distances={k: float(v) for k, v in summary["featureDistances"].items()},
        drifted=list(summary["driftedFeatures"]),
        report_html=report,
        engine=engine,
        objects=objects,
    )


def sketch(req: MonitorBatchRequest, cfg: MonitorBatchSettings, store: ArtifactStore) -> SketchResult:
    """Profile one object of the batch into `partials/<sha256 of its URI>.profile`.

    The partial's name depends only on the object, so a retried or redriven child overwrites its
    own partial instead of adding a second one. An object that one pass over the batch would not
    read (outside the batch prefix, `_SUCCESS`, hidden, a folder marker, an unknown format) writes
    nothing, so the merged profile is the one-pass profile.
    """
    import dataquality
    from dataquality import errors as dq_errors

    if not req.item_s3_uri:
        raise InvalidEvent("MonitorBatchRequest: mode 'sketch' needs itemS3Uri")
    out = _output_location(req, cfg)
    batch, item = S3Uri.parse(req.batch_input_s3_uri), S3Uri.parse(req.item_s3_uri)
    metrics.add_dimension(name="ModelPackageGroup", value=req.model.model_package_group_name)
    fmt = dataquality.member_format(batch.key, item.key) if item.bucket == batch.bucket else None
    if fmt is None:
        logger.info("Not data of the batch: skipped", extra={"item": req.item_s3_uri})
        metrics.add_metric(name="RowsSketched", unit=MetricUnit.Count, value=0)
        return SketchResult(partial_s3_uri=None, rows=0)
    baseline_statistics, baseline_constraints = _baselines(req, store)
    try:
        names = dataquality.baseline_column_names(baseline_statistics, baseline_constraints)
    except dq_errors.BaselineFormatError as exc:
        raise InvalidBaseline(f"baseline of v{req.model.model_package_version}: {exc}") from None
    # The map listed the object already: read it, without listing its prefix again.
    if req.run.record_ids:
        names = [RECORD_ID, *names]
    profile = dataquality.profile_file(
        dataquality.DataFile(req.item_s3_uri, fmt), has_header=req.has_header, column_names=names
    )
    if req.run.record_ids:
        profile = _without_record_ids(profile)
    target = partial_location(out, req.item_s3_uri)
    store.write(target, profile.to_bytes(), "application/octet-stream")
    metrics.add_metric(name="RowsSketched", unit=MetricUnit.Count, value=profile.rows)
    return SketchResult(partial_s3_uri=str(target), rows=profile.rows)


def partial_location(out: S3Uri, item_s3_uri: str) -> S3Uri:
    """Where `sketch` puts an object's profile: named by the object only, so a retried or
    redriven child overwrites its own partial."""
    return out.join(PARTIALS, hashlib.sha256(item_s3_uri.encode()).hexdigest() + ".profile")


def _partials(store: ArtifactStore, out: S3Uri, files: list[Any]) -> Iterator[bytes]:
    """The partial of every object the run listed, and of no other: one missing fails the run
    naming its object (never a verdict on part of the batch)."""
    for f in files:
        where = partial_location(out, f.uri)
        try:
            yield store.read(where)
        except ArtifactNotFound:
            raise MonitoringOutputNotFound(f"no partial profile of {f.uri} at {where}") from None


def merge(req: MonitorBatchRequest, cfg: MonitorBatchSettings, store: ArtifactStore) -> MonitoringResult:
    """Merge the run's partial profiles (one at a time: memory stays one profile) and check them."""
    import dataquality
    from dataquality import errors as dq_errors

    out = _output_location(req, cfg)
    baseline_statistics, baseline_constraints = _baselines(req, store)
    files = _listed(req, store)
    merged = None
    for blob in _partials(store, out, files):
        part = dataquality.Profile.from_bytes(blob)
        merged = part if merged is None else merged.merge(part)
    if merged is None:
        raise dq_errors.EmptyBatch(f"{req.objects_s3_uri} lists no object: the batch had no data objects")
    try:
        result = dataquality.check_profile(
            merged, baseline_statistics=baseline_statistics, baseline_constraints=baseline_constraints
        )
    except dq_errors.BaselineFormatError as exc:
        raise InvalidBaseline(f"baseline of v{req.model.model_package_version}: {exc}") from None
    return _finish_check(
        req,
        cfg,
        store,
        out,
        result,
        baseline_statistics=baseline_statistics,
        engine="dataquality-distributed",
        objects=len(files),
    )


def judge_model_monitor_output(
    req: MonitorBatchRequest, cfg: MonitorBatchSettings, store: ArtifactStore
) -> MonitoringResult:
    """Judge what Model Monitor's analyzer wrote; copy it under the monitoring prefix if elsewhere.

    Its constraint_violations.json says which checks fired (feature and check type); the distances,
    and which features drifted, come from its statistics.json against the baseline's, computed as
    the analyzer computes them (`dataquality.verdict_from_statistics`), never parsed out of AWS's
    descriptions, whose wording changes between container versions.
    It fails closed: the job succeeded (the state machine ran it with .sync), and only an absent
    constraint_violations.json (Model Monitor writes none when nothing is violated) means "no
    violations". Absent statistics.json is MonitoringOutputNotFound; either file refused
    (AccessDenied, 403, NoSuchBucket, KMS) MonitoringOutputUnreadable; either one not Model
    Monitor's format MonitoringOutputInvalid; a feature the statistics cannot compare that no
    violation explains DriftNotComparable (the analyzer's). Never a clean verdict instead."""
    import dataquality
    from dataquality import errors as dq_errors

    out = _output_location(req, cfg)
    source = S3Uri.parse(req.processing_output_s3_uri) if req.processing_output_s3_uri else out
    source = S3Uri(source.bucket, source.key.rstrip("/"))
    batch_statistics = read_json(
        store,
        str(source.join(STATISTICS)),
        missing=MonitoringOutputNotFound,
        unreadable=MonitoringOutputUnreadable,
        invalid=MonitoringOutputInvalid,
        what="Model Monitor statistics.json",
    )
    try:
        violations_doc = read_json(
            store,
            str(source.join(VIOLATIONS)),
            missing=MonitoringOutputNotFound,
            unreadable=MonitoringOutputUnreadable,
            invalid=MonitoringOutputInvalid,
            what="Model Monitor constraint_violations.json",
        )
    except MonitoringOutputNotFound:
        logger.info("No constraint_violations.json from the processing job: no violations")
        violations_doc = {"violations": []}
    baseline_statistics, baseline_constraints = _baselines(req, store)
    if source != out:
        _put(store, out, STATISTICS, json.dumps(batch_statistics), "application/json")
        _put(store, out, VIOLATIONS, json.dumps(violations_doc), "application/json")
    try:
        found = dataquality.verdict_from_statistics(
            baseline_statistics, baseline_constraints, batch_statistics, violations_doc
        )
    except dq_errors.MonitoringOutputFormatError as exc:
        raise MonitoringOutputInvalid(f"Model Monitor's output under {source}: {exc}") from None
    except dq_errors.BaselineFormatError as exc:
        raise InvalidBaseline(f"baseline of v{req.model.model_package_version}: {exc}") from None
    if found.drift_disagreements:
        # the statistics and AWS's analyzer disagree on drift: both are kept (see the docstring of
        # verdict_from_statistics), and the disagreement is on record here and in verdict.json
        logger.warning("Drift disagreements", extra={"driftDisagreements": found.drift_disagreements})
    report = dataquality.render_report(
        baseline_statistics,
        batch_statistics,
        {"violations": found.violations},
        title=_title(req),
        feature_distances=found.feature_distances,
    )
    return _finish(
        req,
        cfg,
        store,
        out,
        verdict=found.verdict,
        violations=msgspec.convert(found.violations, list[Violation]),
        distances={k: float(v["distance"]) for k, v in found.feature_distances.items()},
        drifted=list(found.drifted_features),
        report_html=report,
        engine="model-monitor",
        objects=len(_listed(req, store)),
        drift_disagreements=found.drift_disagreements,
    )


def monitor(
    req: MonitorBatchRequest, cfg: MonitorBatchSettings, store: ArtifactStore | None = None
) -> MonitoringResult | SketchResult | BatchListing:
    """MonitorBatch's one entry: the step `req.mode` names, reading and writing through `store`
    (S3 by default; unit tests pass an in-memory one)."""
    store = store or adapters.artifact_store()
    if req.mode == "list":
        return list_batch(req, cfg, store)
    if req.mode == "sketch":
        return sketch(req, cfg, store)
    steps = {"analyze": analyze, "judge": judge_model_monitor_output, "merge": merge}
    return steps[req.mode](req, cfg, store)
