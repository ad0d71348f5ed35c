"""`python -m story.local serve|invoke`: the engine's `python -m localcloud serve|invoke`, with this
app's set-up of the fresh stack.

    python -m story.local invoke ResolveModelFunction -e events/resolve_model.json --seed
    python -m story.local serve --seed --upsert-pipeline

- `--seed`: before anything else, register the sample model v1 (Approved, with its baseline and
  evaluation) in the stack's group, as `python -m sample.seed` does, so the registry is not empty
  (needs the stack outputs `ArtifactsBucketName` and `ModelPackageGroupName`);
- `--upsert-pipeline` (serve): create the `RetrainingPipelineName` SageMaker Pipeline from
  `pipelines/retraining-pipeline.json`, filled from the stack as a deploy fills it
  (`pipelines.local`).

Every other option is the engine's (`python -m localcloud serve --help`).
"""

from __future__ import annotations

import argparse
from typing import Any

from localcloud.cli import Setup, SetupError, exit_now, main

PROG = "python -m story.local"


def _add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed",
        action="store_true",
        help="first register the sample model v1, Approved, with its baseline (python -m sample.seed), "
        "so the registry is not empty",
    )
    if command == "serve":
        parser.add_argument(
            "--upsert-pipeline",
            action="store_true",
            help="create the RetrainingPipelineName SageMaker Pipeline from "
            "pipelines/retraining-pipeline.json, filled from the stack (as a deploy would)",
        )


def seed_sample(cloud: Any) -> str:
    """Register sample v1 (Approved) in the stack's group, as `python -m sample.seed` would."""
    from story.demo import in_process_seed

    outputs = cloud.stack.outputs
    missing = [name for name in ("ArtifactsBucketName", "ModelPackageGroupName") if name not in outputs]
    if missing:
        names = ", ".join(missing)
        raise SetupError(f"--seed needs the stack outputs {names}, which the template does not declare")
    try:
        result = in_process_seed(cloud.region)(
            outputs["ArtifactsBucketName"], outputs["ModelPackageGroupName"]
        )
    except Exception as error:  # the seed's own message says what failed
        raise SetupError(f"--seed failed: {error}") from error
    return str(result.get("registered") or result.get("note"))


def _run(cloud: Any, args: argparse.Namespace) -> list[str]:
    upsert = getattr(args, "upsert_pipeline", False)
    if getattr(args, "empty", False) and (args.seed or upsert):
        raise SetupError("--empty deploys no stack, so --seed and --upsert-pipeline have none")
    done: list[str] = []
    if args.seed:
        done.append(f"seeded: {seed_sample(cloud)}")
    if upsert:
        from pipelines.local import PipelineDefinitionError, upsert_retraining_pipeline

        try:
            done.append(f"retraining pipeline: {upsert_retraining_pipeline(cloud)}")
        except PipelineDefinitionError as error:
            raise SetupError(str(error)) from error
    return done


SETUP = Setup(add_arguments=_add_arguments, run=_run)


def run(argv: list[str] | None = None) -> int:
    """The command; its exit code."""
    return main(argv, setup=SETUP, prog=PROG)


if __name__ == "__main__":
    exit_now(run())
