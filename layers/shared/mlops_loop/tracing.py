"""Powertools Tracer (X-Ray SDK) for the data-plane handlers only: monitor_batch,
prepare_training_data, evaluate_model, compute_baseline.

Control-plane handlers must not import this module: creating the Tracer imports `aws_xray_sdk`,
which costs about one `import boto3` per cold start (see mlops_loop/observability.py and
docs/observability.md). tests/unit/test_import_budget.py holds them to it.
"""

from aws_lambda_powertools.tracing import Tracer

tracer = Tracer()
