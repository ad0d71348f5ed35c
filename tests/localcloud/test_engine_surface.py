"""The local cloud is an engine with a public surface: its modules use each other's public names
only, it imports nothing of this app, and the pipeline runner knows its host through a protocol."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "localcloud"
# Packages of this repository that are the app, not the engine. `dataquality` is not among them:
# the local analyzer image (sagemaker_jobs/analyzer.py) runs it as AWS's image runs Model Monitor's.
APP_PACKAGES = {"story", "sample", "pipelines", "mlops_loop", "functions", "tests", "tools", "benchmarks"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(ENGINE.rglob("*.py"))]


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def test_no_engine_module_imports_another_ones_private_names():
    # Given every module of the engine
    # When their imports of other engine modules are read
    private = [
        f"{path.relative_to(ENGINE.parent)}: from {module} import {name}"
        for path, tree in _modules()
        for module, names in _imports(tree)
        if module.split(".")[0] == "localcloud"
        for name in names
        if name.startswith("_")
    ]
    # Then none names a private member (`_Invoker` was one: the router's targets are `events.Targets`)
    assert private == []


def test_the_engine_imports_nothing_of_the_app():
    # Given every module of the engine
    # When their imports are read (also the ones inside functions)
    app = [
        f"{path.relative_to(ENGINE.parent)}: {module}"
        for path, tree in _modules()
        for module, _ in _imports(tree)
        if module.split(".")[0] in APP_PACKAGES
    ]
    # Then none is of the app: its stories, sample seeding and pipeline upsert drive the engine from outside
    assert app == []


def test_the_pipeline_runner_does_not_import_the_job_runner_that_imports_it():
    # Given the pipeline runner, which the job runner imports
    tree = ast.parse((ENGINE / "sagemaker_jobs" / "pipeline.py").read_text(encoding="utf-8"))
    # When its imports are read, also those under TYPE_CHECKING
    imported = {module for module, _ in _imports(tree)} | {
        f"{module}.{name}" for module, names in _imports(tree) for name in names
    }
    # Then the job runner is not among them: the pipeline knows its host as `PipelineHost`
    assert not {name for name in imported if name.endswith("sagemaker_jobs.runner")}


def test_the_job_runner_is_a_pipeline_host():
    # Given the protocol the pipeline runner asks of its host
    from localcloud.sagemaker_jobs.pipeline import PipelineHost
    from localcloud.sagemaker_jobs.runner import JobRunner

    runner = JobRunner(emit=lambda event: None)
    # When its members are looked for on the job runner, then each is there and public
    wanted = [name for name in dir(PipelineHost) if not name.startswith("_")]
    wanted += list(PipelineHost.__annotations__)
    assert {"publish", "wait_stopping", "backend", "client_as", "account", "region", "poll_interval"} <= set(
        wanted
    )
    assert [name for name in wanted if not hasattr(runner, name)] == []


def _names_app_module(text: str) -> bool:
    """`mlops_loop.settings`, `story.demo`, `mlops_loop`: a module path, not a word like 'functions'."""
    head, dot, _ = text.partition(".")
    return head in APP_PACKAGES and (bool(dot) or head == "mlops_loop") and " " not in text


def test_the_engine_names_no_app_module_in_its_code():
    # Given every module of the engine, docstrings aside
    # When its string constants are read (sys.modules lookups by name were how it reset the app)
    named = []
    for path, tree in _modules():
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        named += [
            f"{path.relative_to(ENGINE.parent)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _names_app_module(node.value)
        ]
    # Then none: what the app caches, the app registers a reset for (localcloud.runtime.register_reset)
    assert named == []


def test_a_registered_reset_runs_as_a_cloud_starts_and_as_it_stops(tmp_path):
    # Given a hook registered with the engine
    from localcloud import LocalCloud, runtime

    calls: list[str] = []

    def hook() -> None:
        calls.append("active" if runtime.current() is not None else "inactive")

    runtime.register_reset(hook)
    try:
        # When a cloud starts and stops
        with LocalCloud.start(template=None, output_dir=tmp_path):
            during = list(calls)
    finally:
        runtime.unregister_reset(hook)
    # Then the hook ran as the cloud started (active already) and once more as it stopped
    assert during == ["active"]
    assert len(calls) == 2
