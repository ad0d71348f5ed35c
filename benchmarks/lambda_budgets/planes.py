"""Which function is held to the cold-import budget: the one list the benchmark
(benchmarks/lambda_budgets/bench.py) and the cold-path test (tests/unit/test_cold_import_paths.py)
both read, by the function's folder under functions/.

Control plane: at most 1.5x a bare `import boto3`, without the X-Ray SDK or Powertools' parser
catalogue. Data plane: numpy / pyarrow from the AWS SDK for pandas layer; reported, not held to it.
"""

from __future__ import annotations

CONTROL_PLANE: tuple[str, ...] = (
    "start_batch_inference",
    "resolve_model",
    "model_package_state_change",
    "notify_failure",
    "start_retraining",
    "check_freshness",
)
DATA_PLANE: tuple[str, ...] = (
    "monitor_batch",
    "prepare_training_data",
    "evaluate_model",
    "compute_baseline",
    # joins labels to a run's predictions and computes metrics with numpy / pyarrow
    "check_model_quality",
)
