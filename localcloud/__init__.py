"""The local cloud: the whole SAM stack on moto, in-process, without AWS or Docker.

`LocalCloud.start(...)` stands the stack up from the real template.yaml; `python -m localcloud`
is the command line (serve, invoke).
"""

from localcloud.cloud import ExecutionTimeoutError, InvokeResult, LocalCloud
from localcloud.faults import Faults
from localcloud.outbox import Notification, Outbox

__all__ = [
    "ExecutionTimeoutError",
    "Faults",
    "InvokeResult",
    "LocalCloud",
    "Notification",
    "Outbox",
]
