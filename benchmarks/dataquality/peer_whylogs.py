"""Run by the peers' venv: whylogs profiles of reference and batch + calculate_drift_scores. Prints JSON."""

import json
import sys
import time

import pandas as pd
import whylogs as why
from whylogs.viz.drift.column_drift_algorithms import calculate_drift_scores

t0 = time.perf_counter()
ref = why.log(pd.read_csv(sys.argv[1], engine="pyarrow")).view()
cur = why.log(pd.read_csv(sys.argv[2], engine="pyarrow")).view()
scores = calculate_drift_scores(target_view=cur, reference_view=ref, with_thresholds=True)
flagged = sorted(c for c, s in scores.items() if s and s.get("drift_category") == "DRIFT")
print(json.dumps({"flagged": flagged, "seconds": time.perf_counter() - t0}))
