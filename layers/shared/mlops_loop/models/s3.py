"""S3's `Object Created` event through EventBridge (what starts a model-quality check: a label set's marker).

S3's EventBridge event (S3 User Guide, "EventBridge event message structure"): `source` `aws.s3`,
`detail-type` `Object Created`, `detail.bucket.name`, `detail.object.key` (URL-decoded, unlike
S3's own notifications). Only the fields the check reads are declared.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, field

from mlops_loop.models.eventbridge import AwsShape, EventBridgeEvent


class _Bucket(AwsShape, kw_only=True):
    name: Annotated[str, Meta(min_length=3)]


class _Object(AwsShape, kw_only=True):
    key: Annotated[str, Meta(min_length=1)]


class ObjectCreatedDetail(AwsShape, kw_only=True):
    bucket: _Bucket
    object: _Object


class ObjectCreatedEvent(EventBridgeEvent, kw_only=True):
    source: Literal["aws.s3"]
    detail_type: Literal["Object Created"] = field(name="detail-type")
    detail: ObjectCreatedDetail


def is_s3_event(event: object) -> bool:
    return isinstance(event, dict) and event.get("source") == "aws.s3"
