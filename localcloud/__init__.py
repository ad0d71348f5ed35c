"""The local cloud: the whole SAM stack on moto, in-process, without AWS or Docker.

`LocalCloud.start(...)` stands the stack up from the real template.yaml; `python -m localcloud`
is the command line (serve, invoke, iam-report). This package is the engine: it knows SAM,
CloudFormation and the AWS services, not this app. The app's stories, its sample seeding and its
pipeline upsert drive it from outside (`story/`, `sample/`, `pipelines/local.py`), through what
this module exports and the public members of these classes.
"""

from localcloud.cloud import ExecutionTimeoutError, InvokeResult, LocalCloud
from localcloud.faults import Faults
from localcloud.outbox import Notification, Outbox
from localcloud.quiet import quiet_moto_warnings
from localcloud.waiting import WaitTimeoutError, wait_until

__all__ = [
    "ExecutionTimeoutError",
    "Faults",
    "InvokeResult",
    "LocalCloud",
    "Notification",
    "Outbox",
    "WaitTimeoutError",
    "quiet_moto_warnings",
    "wait_until",
]
