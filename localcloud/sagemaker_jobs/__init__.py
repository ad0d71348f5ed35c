"""Local SageMaker job runner for the local cloud (moto): jobs really run, states move, events flow.

    from localcloud.sagemaker_jobs import JobRunner
    with mock_aws(), JobRunner(emit=events.append) as runner:
        sagemaker.create_training_job(...)   # InProgress at once
        runner.wait_idle(60)                 # Completed (or Failed with a FailureReason)

See ``runner.JobRunner`` for the interface and the module docstrings of ``xgboost_algo``,
``analyzer`` and ``pipeline`` for what each job type runs and what it does not support.
"""

from localcloud.sagemaker_jobs.errors import JobFailedError, PipelineFailedError, UnsupportedImageError
from localcloud.sagemaker_jobs.runner import Faults, JobRunner

__all__ = ["Faults", "JobFailedError", "JobRunner", "PipelineFailedError", "UnsupportedImageError"]
