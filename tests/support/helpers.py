"""Shared test helpers: sample events, a fake Lambda context, EMF metrics, SNS messages.

`load_event(name)` reads `events/<name>.json`, the same files `sam local invoke -e` uses.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
REGION = "us-east-1"
ACCOUNT = "123456789012"
GROUP = "breast-cancer-classifier"
# The artifacts bucket and live-model parameter the functions' test environment names (tests/conftest.py).
BUCKET = f"mlops-loop-dev-artifacts-{ACCOUNT}"
LIVE_PARAMETER = "/mlops-loop/dev/live-model"


@cache
def _read_event(name: str) -> str:
    path = EVENTS / (name if name.endswith(".json") else f"{name}.json")
    return path.read_text()


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of a sample event (tests may change it freely)."""
    return copy.deepcopy(json.loads(_read_event(name)))


@dataclass
class FakeLambdaContext:
    """What Powertools reads from the Lambda context."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test-function"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/24/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def emf_metrics(stdout: str) -> list[dict[str, Any]]:
    """Every metric in the EMF blobs printed to stdout: name, value, unit, dimensions, namespace."""
    found: list[dict[str, Any]] = []
    for raw in stdout.splitlines():
        line = raw.strip()
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dims = {d: blob[d] for group in directive["Dimensions"] for d in group}
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                for v in value if isinstance(value, list) else [value]:
                    found.append(
                        {
                            "name": metric["Name"],
                            "value": v,
                            "unit": metric.get("Unit"),
                            "dimensions": dims,
                            "namespace": directive["Namespace"],
                        }
                    )
    return found


def logged(caplog: Any, message: str) -> list[dict[str, Any]]:
    """Records of Powertools' Logger with that message (its `extra` keys are record attributes).

    The Logger writes JSON to the stdout it found at import, so tests read records via caplog."""
    return [vars(r) for r in caplog.records if r.getMessage() == message]


def sns_messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Drain the SQS queue subscribed to the topic: each SNS envelope (Subject, Message, ...)."""
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        msgs = got.get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


@dataclass
class Topic:
    arn: str
    queue_url: str
    sqs: Any

    def messages(self) -> list[dict[str, Any]]:
        """What reached the topic since the last call (SNS envelopes with Subject and Message)."""
        return sns_messages(self.sqs, self.queue_url)
