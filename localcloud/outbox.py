"""Every SNS message published in the local cloud, readable by a person and by a test."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Notification:
    topic_arn: str
    subject: str | None
    message: str
    attributes: dict[str, Any]
    time: str
    message_id: str

    @property
    def topic_name(self) -> str:
        return self.topic_arn.rsplit(":", 1)[-1]


class Outbox:
    """A list of `Notification`s, also written as JSON lines to `path` (when given)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._messages: list[Notification] = []
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()

    def record(
        self,
        topic_arn: str,
        message: str,
        subject: str | None,
        attributes: dict[str, Any] | None,
        message_id: str,
    ) -> Notification:
        note = Notification(
            topic_arn=topic_arn,
            subject=subject,
            message=message,
            attributes=_plain_attributes(attributes or {}),
            time=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            message_id=message_id,
        )
        with self._lock:
            self._messages.append(note)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(asdict(note)) + "\n")
        return note

    @property
    def messages(self) -> list[Notification]:
        with self._lock:
            return list(self._messages)

    def for_topic(self, topic_arn: str) -> list[Notification]:
        return [m for m in self.messages if m.topic_arn == topic_arn]

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)

    def __iter__(self):
        return iter(self.messages)

    def __getitem__(self, index: int) -> Notification:
        return self.messages[index]


def _plain_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """{"kind": {"DataType": "String", "StringValue": "x"}} -> {"kind": "x"} (binary as repr)."""
    plain: dict[str, Any] = {}
    for name, value in attributes.items():
        if isinstance(value, dict):
            plain[name] = value.get("StringValue", value.get("Value", repr(value.get("BinaryValue"))))
        else:
            plain[name] = value
    return plain
