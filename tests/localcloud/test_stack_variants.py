"""Deployments that need a local cloud of their own (other parameters, the real template)."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud import LocalCloud
from localcloud.runtime import AlreadyActiveError
from localcloud.stack import TemplateError, local_parameters
from tests.support.local_cloud import FIXTURE_TEMPLATE

REPO = Path(__file__).resolve().parents[2]


def test_parameters_override_defaults_and_conditions(tmp_path):
    parameters = {"GreetingPrefix": "bonjour", "EnableNightly": "false"}
    with LocalCloud.start(
        FIXTURE_TEMPLATE, parameters=parameters, output_dir=tmp_path, job_runner=False
    ) as cloud:
        assert cloud.invoke("EchoFunction", {"name": "x"}).payload["greeting"] == "bonjour x"
        assert cloud.client("scheduler").get_schedule(Name="EchoFunctionNightly")["State"] == "DISABLED"


def test_unknown_parameter_is_a_clear_error(tmp_path):
    with (
        pytest.raises(TemplateError, match="NoSuchParameter"),
        LocalCloud.start(FIXTURE_TEMPLATE, parameters={"NoSuchParameter": "1"}, output_dir=tmp_path),
    ):
        pass


def test_a_second_cloud_in_the_same_process_is_refused(tmp_path):
    with LocalCloud.start(
        FIXTURE_TEMPLATE, parameters={}, output_dir=tmp_path / "a", job_runner=False
    ) as cloud:
        with pytest.raises(AlreadyActiveError), LocalCloud.start(FIXTURE_TEMPLATE, output_dir=tmp_path / "b"):
            pass
        assert cloud.invoke("EchoFunction", {}).ok  # the first one still works


@pytest.mark.skipif(not (REPO / "template.yaml").is_file(), reason="template.yaml not written yet")
def test_the_real_template_deploys(tmp_path):
    parameters = local_parameters(REPO / "samconfig.toml")
    parameters.setdefault("ModelPackageGroup", "churn-model")
    with LocalCloud.start(
        REPO / "template.yaml", parameters=parameters, output_dir=tmp_path, job_runner=False
    ) as cloud:
        assert cloud.stack.state_machines, "no state machine deployed"
        assert len(cloud.stack.functions) >= 5
        for function in cloud.stack.functions:  # every function's code was recorded for in-process runs
            name = cloud.stack.functions[function]
            code = cloud.client("lambda").get_function(FunctionName=name)["Code"]
            assert code["RepositoryType"] == "S3"
        assert {c.logical_id for c in cloud.functions.codes()} == set(cloud.stack.functions)
