"""The retraining half of the loop: starting a run at most once per drift episode (or stale model),
and the logic of the retraining state machine's Lambda tasks.

Submodules import only what they need, so functions that start runs do not load numpy or the
dataquality analyzer: `names` and `starter`/`freshness` need boto3 only; `prepare` needs the
standard library; `evaluate` needs numpy; `baseline` needs the dataquality layer.
"""
