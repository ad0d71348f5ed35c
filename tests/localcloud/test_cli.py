"""`python -m localcloud`: invoke (the no-Docker `sam local invoke`) and serve."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
from lc_testkit import FIXTURE_TEMPLATE, REGION

from localcloud.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_invoke_prints_the_payload_and_exits_0(tmp_path, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"name": "cli"}))
    code = main(
        [
            "invoke",
            "EchoFunction",
            "-t",
            str(FIXTURE_TEMPLATE),
            "-e",
            str(event),
            "--output-dir",
            str(tmp_path),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["greeting"] == "hello cli"
    assert "START RequestId" in captured.err


def test_invoke_exits_1_on_a_function_error(tmp_path, capsys):
    code = main(
        ["invoke", "FailFunction", "-t", str(FIXTURE_TEMPLATE), "--output-dir", str(tmp_path), "--quiet-logs"]
    )
    assert code == 1
    assert json.loads(capsys.readouterr().out)["errorType"] == "BrokenThingError"


def test_invoke_of_an_unknown_function_names_the_known_ones(tmp_path, capsys):
    code = main(["invoke", "Nope", "-t", str(FIXTURE_TEMPLATE), "--output-dir", str(tmp_path)])
    assert code == 2
    assert "EchoFunction" in capsys.readouterr().err


def test_missing_template_is_a_clear_error(tmp_path, capsys):
    assert main(["invoke", "EchoFunction", "-t", str(tmp_path / "none.yaml")]) == 2
    assert "no template" in capsys.readouterr().err


def test_serve_stays_up_until_interrupted(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcloud",
            "serve",
            "-t",
            str(FIXTURE_TEMPLATE),
            "--output-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        endpoint = None
        lines = []
        deadline = time.monotonic() + 60
        while endpoint is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if line.startswith("local cloud up: "):
                endpoint = line.split(": ", 1)[1].strip()
        assert endpoint, "".join(lines)
        while not (line := process.stdout.readline()).startswith("Ctrl-C"):
            lines.append(line)
        listing = "".join(lines)
        assert "FlowStateMachine" in listing and "NotificationTopic" in listing
        [operator] = re.findall(r"AWS_ACCESS_KEY_ID=(\S+)", listing)
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=operator,
            aws_secret_access_key="x",
        )
        assert any(
            b["Name"].startswith("mlops-loop-local-artifactsbucket") for b in s3.list_buckets()["Buckets"]
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_exit_now_runs_exit_handlers_flushes_and_keeps_the_code():
    # Given a command that printed without a newline and registered an exit handler
    done = _python(
        "import atexit\n"
        "from localcloud.cli import exit_now\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "print('output', end='')\n"
        "exit_now(3)\n"
    )
    # Then the exit code is the command's, the output is all there and the handler ran
    assert done.returncode == 3, done.stderr
    assert done.stdout == "outputhandler ran\n"


def test_exit_now_waits_for_a_running_thread_of_the_command():
    done = _python(
        "import threading, time\n"
        "from localcloud.cli import exit_now\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
        "exit_now(0)\n"
    )
    assert (done.returncode, done.stdout) == (0, "thread done\n")


def test_exit_now_does_not_wait_forever_for_a_thread_that_never_ends():
    # Given a leftover non-daemon thread that would hold a normal interpreter exit open forever
    started = time.monotonic()
    done = _python(
        "import threading\n"
        "import localcloud.cli as cli\n"
        "cli.EXIT_GRACE_SECONDS = 0.5\n"
        "threading.Thread(target=threading.Event().wait).start()\n"
        "print('done')\n"
        "cli.exit_now(0)\n"
    )
    # Then the process ends after the grace period, with the command's code and output
    assert (done.returncode, done.stdout) == (0, "done\n"), done.stderr
    assert time.monotonic() - started < 30


def test_invoke_with_seed_resolves_the_seeded_approved_v1_of_the_real_template(tmp_path, capsys):
    # Given the real template, seeded with sample v1 (Approved) before the invoke
    code = main(
        [
            "invoke",
            "ResolveModelFunction",
            "-t",
            str(REPO / "template.yaml"),
            "-e",
            str(REPO / "events" / "resolve_model.json"),
            "--seed",
            "--output-dir",
            str(tmp_path),
        ]
    )
    captured = capsys.readouterr()
    # Then ResolveModel finds v1 and its baseline, and the seed is reported on standard error
    assert code == 0, captured.err[-2000:]
    resolved = json.loads(captured.out)["model"]  # ResolvedRun: the version (`model`) and the run
    assert resolved["modelPackageVersion"] == 1
    assert resolved["baselineStatisticsS3Uri"].endswith("/baseline/statistics.json")
    assert "seeded: arn:aws:sagemaker:" in captured.err
    # and moto's notes on resources it does not model stay out of the function's logs
    assert "No Moto CloudFormation support" not in captured.err


def test_seed_on_a_template_without_the_stack_outputs_is_a_clear_error(tmp_path, capsys):
    code = main(
        ["invoke", "EchoFunction", "-t", str(FIXTURE_TEMPLATE), "--seed", "--output-dir", str(tmp_path)]
    )
    assert code == 2
    assert "--seed needs the stack outputs ModelPackageGroupName, which the template does not declare" in (
        capsys.readouterr().err
    )
