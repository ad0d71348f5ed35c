"""Logger and Metrics, created once; their settings come from POWERTOOLS_* variables.

Why no Tracer here: creating Powertools' `Tracer()` imports the X-Ray SDK (`aws_xray_sdk.core`),
whose recorder builds a botocore X-Ray client at import time. That alone costs about as much as
`import boto3` on every cold start, even with POWERTOOLS_TRACE_DISABLED. The control-plane
functions (start_batch_inference, resolve_model, model_package_state_change, notify_failure,
start_retraining, check_freshness) are short API callers; for them Lambda's own segments
(`Tracing: Active` in the template) and the Step Functions trace map say enough. So every module
a control-plane handler imports must stay free of the X-Ray SDK; the data-plane handlers, which
run long enough for subsegments to matter, take `tracer` from `mlops_loop.tracing`.
See docs/observability.md.
"""

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

logger = Logger()
metrics = Metrics()
