"""Class-level hooks on moto's SageMaker backend, routed to the runner of (account, region).

The hooks wrap methods of ``moto.sagemaker.models.SageMakerModelBackend`` (and one of
``moto.sagemaker.responses.SageMakerResponse``) from outside: no edit to site-packages. They are
installed on the class, not on a backend instance, because ``mock_aws()`` resets backends by
clearing their ``__dict__``; a class attribute survives that, and also serves moto's server mode.
A backend with no runner registered for its account and region runs moto's original method.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Protocol

# Backend methods the runner takes over (each runner has ``_on_<name>(original, backend, ...)``).
BACKEND_METHODS = (
    "create_training_job",
    "create_transform_job",
    "create_processing_job",
    "create_model_package",
    "update_model_package",
    "start_pipeline_execution",
    "describe_pipeline_execution",
)

_lock = threading.RLock()
_runners: dict[tuple[str, str], Any] = {}
_originals: dict[str, Callable[..., Any]] = {}
_response_original: list[Callable[..., Any]] = []
# CreateProcessingJob's Environment and ProcessingResources, which moto's backend drops:
# the response hook parks them here for the backend hook running in the same thread.
request_extras = threading.local()


class Routable(Protocol):
    account: str
    region: str


def _backend_hook(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def hook(backend: Any, *args: Any, **kwargs: Any) -> Any:
        runner = _runners.get((backend.account_id, backend.region_name))
        if runner is None:
            return original(backend, *args, **kwargs)
        return getattr(runner, f"_on_{name}")(original, backend, *args, **kwargs)

    hook.__localcloud_hook__ = True  # type: ignore[attr-defined]
    return hook


def _response_hook(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def hook(response: Any) -> Any:
        request_extras.processing = {
            "Environment": response._get_param("Environment"),
            "ProcessingResources": response._get_param("ProcessingResources"),
        }
        try:
            return original(response)
        finally:
            request_extras.processing = None

    hook.__localcloud_hook__ = True  # type: ignore[attr-defined]
    return hook


def register(runner: Routable) -> None:
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    with _lock:
        key = (runner.account, runner.region)
        if _runners.get(key) not in (None, runner):
            raise RuntimeError(f"another JobRunner is installed for account {key[0]} region {key[1]}")
        _runners[key] = runner
        if _originals:
            return
        for name in BACKEND_METHODS:
            original = getattr(SageMakerModelBackend, name)
            _originals[name] = original
            setattr(SageMakerModelBackend, name, _backend_hook(name, original))
        response_original = SageMakerResponse.create_processing_job
        _response_original.append(response_original)
        SageMakerResponse.create_processing_job = _response_hook(response_original)  # type: ignore[method-assign]


def unregister(runner: Routable) -> None:
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    with _lock:
        key = (runner.account, runner.region)
        if _runners.get(key) is runner:
            del _runners[key]
        if _runners or not _originals:
            return
        for name, original in _originals.items():
            setattr(SageMakerModelBackend, name, original)
        _originals.clear()
        SageMakerResponse.create_processing_job = _response_original.pop()  # type: ignore[method-assign]


def installed_runner(account: str, region: str) -> Any:
    return _runners.get((account, region))
