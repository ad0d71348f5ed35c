"""One effect per EventBridge event: Powertools idempotency keyed on the event's `id`.

EventBridge delivers at least once, and Lambda retries an asynchronous invocation: the same event
(same `id`) can reach a handler more than once. `once_per_event` runs the handler's work for the
first delivery and hands every later delivery of that `id` the first delivery's result, so a mail
is sent once per event. The records live in the stack's state table (partition key `id`, TTL
attribute `expiration`: Powertools' DynamoDBPersistenceLayer defaults, the names template.yaml gives
StateTable). Work that raises leaves no record (Powertools deletes it), so a retry runs it again.

Parse and filter the event before calling this: a malformed event or one of another group must
give its own answer, not the result of an earlier event that happened to carry the same `id`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from mlops_loop import aws
from mlops_loop.observability import logger, metrics

# EventBridge retries a delivery for up to 24 hours (the template's rules say 1 hour) and Lambda
# an asynchronous invocation for up to 6 hours: a day outlives every redelivery.
RECORD_TTL_SECONDS = 24 * 3600


def _told_before(response: Any, idempotent_data: DataRecord) -> Any:
    logger.info(
        "Duplicate delivery of an event: the first delivery's result is returned, nothing is done again",
        extra={"idempotencyKey": idempotent_data.idempotency_key},
    )
    metrics.add_metric(name="DuplicateEventsSkipped", unit=MetricUnit.Count, value=1)
    return response


def once_per_event(
    event: dict[str, Any],
    context: LambdaContext,
    work: Callable[[], dict[str, Any]],
    *,
    table_name: str,
    name: str,
) -> dict[str, Any]:
    """`work()` once per EventBridge event `id`; every later delivery gets the first result.

    The record's key (the table's `id`) is `<name>#<md5 of the event id>`: `name` (the handler's)
    keeps two handlers that receive the same event apart.
    """
    config = IdempotencyConfig(
        event_key_jmespath="id",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=RECORD_TTL_SECONDS,
        response_hook=_told_before,
    )
    config.register_lambda_context(context)
    # Powertools' persistence layer is itself the adapter: it takes the typed DynamoDB client.
    store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=aws.dynamodb())

    @idempotent_function(
        data_keyword_argument="event", persistence_store=store, config=config, key_prefix=name
    )
    def run(event: dict[str, Any]) -> dict[str, Any]:
        return work()

    return dict(run(event=event))
