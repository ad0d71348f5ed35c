"""`python -m localcloud`: invoke (the no-Docker `sam local invoke`) and serve."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.cli import Setup, SetupError, main
from tests.support.local_cloud import FIXTURE_TEMPLATE, REGION

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


def test_the_engine_has_no_demo_command_and_points_to_the_story(capsys):
    # Given the demo moved out of the engine (it is this app's story)
    # When someone types the old command
    code = main(["demo", "--quiet"])
    # Then it says where the demo is now, and does nothing else
    assert code == 2
    assert "python -m story.demo" in capsys.readouterr().err


def test_the_engine_knows_no_app_options(tmp_path, capsys):
    # Given the engine's command line without an app's Setup
    # When an app's option is given
    with pytest.raises(SystemExit) as raised:
        main(["invoke", "EchoFunction", "-t", str(FIXTURE_TEMPLATE), "--seed", "--output-dir", str(tmp_path)])
    # Then argparse refuses it: seeding is the app's (python -m story.local)
    assert raised.value.code == 2
    assert "unrecognized arguments: --seed" in capsys.readouterr().err


def test_an_apps_setup_runs_once_the_stack_is_up_and_its_error_is_exit_2(tmp_path, capsys):
    # Given a Setup adding an option, and failing when it is given
    seen: list[str] = []

    def add(command: str, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--refuse", action="store_true")

    def run(cloud: Any, args: argparse.Namespace) -> list[str]:
        seen.append(cloud.stack.functions["EchoFunction"])
        if args.refuse:
            raise SetupError("refused as asked")
        return ["set up"]

    setup = Setup(add_arguments=add, run=run)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"name": "setup"}))
    argv = ["invoke", "EchoFunction", "-t", str(FIXTURE_TEMPLATE), "-e", str(event), "--quiet-logs"]
    # When the command runs with it, then with the option that makes it fail
    ok = main([*argv, "--output-dir", str(tmp_path / "a")], setup=setup)
    ok_err = capsys.readouterr().err
    refused = main([*argv, "--refuse", "--output-dir", str(tmp_path / "b")], setup=setup)
    # Then it ran on the deployed stack before the invoke and its lines went to standard error;
    # and its error is the command's, exit 2
    assert (ok, refused) == (0, 2)
    assert len(seen) == 2 and "set up" in ok_err
    assert "localcloud: refused as asked" in capsys.readouterr().err
