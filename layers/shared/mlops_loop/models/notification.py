"""An SNS message, built by notifications.py; a step may return one for the state machine to publish."""

from __future__ import annotations

from mlops_loop.models.payloads import Payload


class Notification(Payload, kw_only=True):
    """Subject (plain one line, under SNS's 100 characters) and message body."""

    subject: str
    message: str
