"""Run by the Evidently 0.7 venv: DataDriftPreset on reference vs batch CSV. Prints JSON.

0.7's API (``evidently.Report``, ``evidently.presets``) returns a snapshot whose per-column
``ValueDrift`` metrics hold the drift score only; whether a column drifted (score against the
method's threshold, in the direction the method reads) is the status of the test Evidently attaches
to each metric with ``include_tests=True``. The tests are made from the drift already computed.
"""

import json
import sys
import time

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

t0 = time.perf_counter()
ref = pd.read_csv(sys.argv[1], engine="pyarrow")
cur = pd.read_csv(sys.argv[2], engine="pyarrow")
snapshot = Report([DataDriftPreset()], include_tests=True).run(reference_data=ref, current_data=cur)
flagged = sorted(
    test["metric_config"]["params"]["column"]
    for test in snapshot.dict()["tests"]
    if test["metric_config"]["params"].get("type") == "evidently:metric_v2:ValueDrift"
    and str(getattr(test["status"], "value", test["status"])) == "FAIL"
)
print(json.dumps({"flagged": flagged, "seconds": time.perf_counter() - t0}))
