"""MonitorBatch's logic: data-quality monitoring of a batch against the model version's baseline.

`analyze` runs the `dataquality` analyzer here (the default engine); `classify` reads the files a
SageMaker Model Monitor Processing job wrote. Either way the run's monitoring prefix
(`<OUTPUT_PREFIX>/<group>/v<version>/<runId>/monitoring/`) ends up holding `statistics.json`,
`constraint_violations.json` (Model Monitor's formats), `report.html` and `verdict.json`, and the
state machine gets a MonitoringResult. `dataquality` is imported lazily: only this function ships
its layer (with numpy/pyarrow), the other functions stay light.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import msgspec
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from botocore.exceptions import ClientError

from mlops_loop import aws
from mlops_loop.errors import BaselineObjectNotFound, InvalidBaseline, InvalidEvent, MonitoringOutputNotFound
from mlops_loop.models.monitoring import MonitorBatchRequest, MonitoringResult
from mlops_loop.models.payloads import Verdict, Violation
from mlops_loop.observability import logger, metrics
from mlops_loop.s3uri import S3Uri
from mlops_loop.settings import MonitorBatchSettings

STATISTICS = "statistics.json"
VIOLATIONS = "constraint_violations.json"
REPORT = "report.html"
VERDICT = "verdict.json"
MAX_FEATURE_METRICS = 100


def monitoring_prefix(cfg: MonitorBatchSettings, group: str, version: int, run_id: str) -> S3Uri:
    return S3Uri(cfg.artifacts_bucket, "").join(cfg.output_prefix, group, f"v{version}", run_id, "monitoring")


def _output_location(req: MonitorBatchRequest, cfg: MonitorBatchSettings) -> S3Uri:
    """Where the files go; a given outputS3Uri must sit under the model version's lineage prefix."""
    lineage = S3Uri(cfg.artifacts_bucket, "").join(
        cfg.output_prefix, req.model.model_package_group_name, f"v{req.model.model_package_version}"
    )
    if req.output_s3_uri:
        out = S3Uri.parse(req.output_s3_uri)
        if out.bucket != lineage.bucket or not (out.key.rstrip("/") + "/").startswith(lineage.key + "/"):
            raise InvalidEvent(f"outputS3Uri must lie under s3://{lineage.bucket}/{lineage.key}/ (lineage)")
        return S3Uri(out.bucket, out.key.rstrip("/"))
    if not req.run_id:
        raise InvalidEvent("MonitorBatchRequest: give outputS3Uri or runId")
    return monitoring_prefix(
        cfg, req.model.model_package_group_name, req.model.model_package_version, req.run_id
    )


def read_json(uri: str, *, missing: type[Exception], what: str) -> Any:
    loc = S3Uri.parse(uri)
    try:
        body = aws.client("s3").get_object(Bucket=loc.bucket, Key=loc.key)["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"NoSuchKey", "404", "NotFound", "NoSuchBucket", "AccessDenied", "403"}:
            raise missing(f"{what} not found or not readable at {uri} ({code})") from None
        raise
    try:
        return json.loads(body)
    except ValueError:
        raise InvalidBaseline(f"{what} at {uri} is not JSON") from None


def _put(loc: S3Uri, name: str, body: str, content_type: str) -> str:
    target = loc.join(name)
    aws.client("s3").put_object(
        Bucket=target.bucket, Key=target.key, Body=body.encode("utf-8"), ContentType=content_type
    )
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


def _finish(
    req: MonitorBatchRequest,
    out: S3Uri,
    *,
    verdict: str,
    violations: list[Violation],
    distances: dict[str, float],
    drifted: list[str],
    report_html: str,
    engine: str,
) -> MonitoringResult:
    # ClassifyOutcome in the ASL knows these verdicts only; a Struct built by keyword is not checked.
    checked: Verdict = msgspec.convert(verdict, Verdict)
    report_uri = _put(out, REPORT, report_html, "text/html; charset=utf-8")
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
        "baselineStatisticsS3Uri": req.baseline_statistics_s3_uri,
        "baselineConstraintsS3Uri": req.baseline_constraints_s3_uri,
        "analyzedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _put(out, VERDICT, json.dumps(verdict_doc, indent=2, sort_keys=True), "application/json")
    _emit_metrics(req.model.model_package_group_name, verdict, distances, len(violations))
    result = MonitoringResult(
        verdict=checked,
        drifted_features=drifted,
        violations=violations,
        feature_distances=distances,
        statistics_s3_uri=str(out.join(STATISTICS)),
        violations_s3_uri=str(out.join(VIOLATIONS)),
        report_s3_uri=report_uri,
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


def _baselines(req: MonitorBatchRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    statistics = read_json(
        req.baseline_statistics_s3_uri, missing=BaselineObjectNotFound, what="baseline statistics"
    )
    constraints = read_json(
        req.baseline_constraints_s3_uri, missing=BaselineObjectNotFound, what="baseline constraints"
    )
    return statistics, constraints


def _title(req: MonitorBatchRequest) -> str:
    run = f", run {req.run_id}" if req.run_id else ""
    return f"Data quality: {req.model.model_package_group_name} v{req.model.model_package_version}{run}"


def analyze(req: MonitorBatchRequest, cfg: MonitorBatchSettings) -> MonitoringResult:
    import dataquality
    from dataquality import errors as dq_errors

    if not req.batch_input_s3_uri:
        raise InvalidEvent("MonitorBatchRequest: mode 'analyze' needs batchInputS3Uri")
    out = _output_location(req, cfg)
    baseline_statistics, baseline_constraints = _baselines(req)
    try:
        result = dataquality.check(
            req.batch_input_s3_uri,
            baseline_statistics=baseline_statistics,
            baseline_constraints=baseline_constraints,
            has_header=req.has_header,
        )
    except dq_errors.BaselineFormatError as exc:
        raise InvalidBaseline(f"baseline of v{req.model.model_package_version}: {exc}") from None
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
        out,
        verdict=summary["verdict"],
        violations=_violations(result.violations),
        distances={k: float(v) for k, v in summary["featureDistances"].items()},
        drifted=list(summary["driftedFeatures"]),
        report_html=report,
        engine="dataquality",
    )


def classify(req: MonitorBatchRequest, cfg: MonitorBatchSettings) -> MonitoringResult:
    """Read what Model Monitor's analyzer wrote; copy it under the monitoring prefix if elsewhere."""
    import dataquality
    from dataquality import errors as dq_errors

    out = _output_location(req, cfg)
    source = S3Uri.parse(req.processing_output_s3_uri) if req.processing_output_s3_uri else out
    source = S3Uri(source.bucket, source.key.rstrip("/"))
    batch_statistics = read_json(
        str(source.join(STATISTICS)), missing=MonitoringOutputNotFound, what="Model Monitor statistics.json"
    )
    try:
        violations_doc = read_json(
            str(source.join(VIOLATIONS)), missing=MonitoringOutputNotFound, what="violations"
        )
    except MonitoringOutputNotFound:
        logger.info("No constraint_violations.json from the processing job: no violations")
        violations_doc = {"violations": []}
    baseline_statistics = read_json(
        req.baseline_statistics_s3_uri, missing=BaselineObjectNotFound, what="baseline statistics"
    )
    if source != out:
        _put(out, STATISTICS, json.dumps(batch_statistics), "application/json")
        _put(out, VIOLATIONS, json.dumps(violations_doc), "application/json")
    try:
        found = dataquality.verdict_from_violations(violations_doc)
    except dq_errors.BaselineFormatError as exc:
        raise MonitoringOutputNotFound(f"constraint_violations.json under {source}: {exc}") from None
    report = dataquality.render_report(
        baseline_statistics,
        batch_statistics,
        violations_doc,
        title=_title(req),
        feature_distances=found.feature_distances,
    )
    return _finish(
        req,
        out,
        verdict=found.verdict,
        violations=msgspec.convert(found.violations, list[Violation]),
        distances={k: float(v["distance"]) for k, v in found.feature_distances.items()},
        drifted=list(found.drifted_features),
        report_html=report,
        engine="model-monitor",
    )


def monitor(req: MonitorBatchRequest, cfg: MonitorBatchSettings) -> MonitoringResult:
    return analyze(req, cfg) if req.mode == "analyze" else classify(req, cfg)
