"""Run by the peers' venv: Evidently DataDriftPreset on reference vs batch CSV. Prints JSON."""

import json
import sys
import time

import pandas as pd
from evidently.metric_preset import DataDriftPreset
from evidently.report import Report

t0 = time.perf_counter()
ref = pd.read_csv(sys.argv[1], engine="pyarrow")
cur = pd.read_csv(sys.argv[2], engine="pyarrow")
report = Report(metrics=[DataDriftPreset()])
report.run(reference_data=ref, current_data=cur)
flagged = []
for metric in report.as_dict()["metrics"]:
    by_col = metric.get("result", {}).get("drift_by_columns")
    if by_col:
        flagged = sorted(c for c, r in by_col.items() if r.get("drift_detected"))
print(json.dumps({"flagged": flagged, "seconds": time.perf_counter() - t0}))
