"""The least-privilege report: union of runs, grants used or unused (with a written reason or not),
denied calls apart from the ones a test set out to provoke, reasons read from the template."""

from __future__ import annotations

import json
from pathlib import Path

from localcloud.cli import main
from localcloud.iam.report import LOG_NAME, build, grant_reasons, read_logs


def _log(grants, decisions, template="/repo/template.yaml"):
    return {"template": template, "enforced": True, "grants": grants, "decisions": decisions}


def _grant(role, sid, action, reason=""):
    return {
        "role": role,
        "policy": "inline P",
        "sid": sid,
        "action": action,
        "resources": ["*"],
        "reason": reason,
    }


def _decision(role, action, *, allowed=True, grants=(), expected=False, count=1):
    return {
        "role": role,
        "action": action,
        "resource": "arn:aws:s3:::b/k",
        "allowed": allowed,
        "reason": "" if allowed else f"because no identity-based policy allows the {action} action",
        "expected": expected,
        "grants": [{"policy": "inline P", "sid": s, "action": a} for s, a in grants],
        "count": count,
    }


def test_a_grant_used_in_any_run_is_used_and_the_others_are_listed_with_their_reason():
    grants = [
        _grant("R", "Read", "s3:GetObject"),
        _grant("R", "Read", "s3:ListBucket"),
        _grant("R", "Logs", "logs:*", "why"),
    ]
    first = _log(grants, [_decision("R", "s3:GetObject", grants=[("Read", "s3:GetObject")])])
    second = _log(grants, [])
    report = build([first, second])
    unused = {(g.sid, g.action): g.reason for g in report.roles["R"].unused}
    assert unused == {("Read", "s3:ListBucket"): "", ("Logs", "logs:*"): "why"}
    assert [g.action for g in report.unused_without_reason] == ["s3:ListBucket"]
    assert report.summary()["runs"] == 2


def test_denied_calls_count_unless_a_test_provoked_them():
    log = _log(
        [],
        [
            _decision("R", "sagemaker:DescribeModelPackageGroup", allowed=False, expected=True, count=3),
            _decision("R", "sns:Publish", allowed=False),
        ],
    )
    report = build([log])
    assert report.denied == 1
    assert report.roles["R"].expected_denied == 3
    assert "`sns:Publish`" in report.markdown()


def test_reasons_come_from_the_role_or_the_function_that_owns_the_generated_role():
    template = {
        "Resources": {
            "JobRole": {
                "Type": "AWS::IAM::Role",
                "Metadata": {"GrantsNotUsedLocally": {"Logs": "vended logs"}},
            },
            "MyFunction": {
                "Type": "AWS::Serverless::Function",
                "Metadata": {"GrantsNotUsedLocally": {"DeadLetterQueuePolicy": "only on failure"}},
            },
            "Other": {"Type": "AWS::SQS::Queue"},
        }
    }
    assert grant_reasons(template) == {
        "JobRole": {"Logs": "vended logs"},
        "MyFunctionRole": {"DeadLetterQueuePolicy": "only on failure"},
    }


def test_the_command_reads_only_the_given_templates_runs_and_fails_the_check_on_a_denial(
    tmp_path: Path, capsys
):
    template = tmp_path / "template.yaml"
    template.write_text("Resources: {}\n")
    ours = _log([], [_decision("R", "sns:Publish", allowed=False)], template=str(template.resolve()))
    fixture = _log([_grant("F", "X", "s3:*")], [], template="/elsewhere/template.yaml")
    for name, log in (("a", ours), ("b", fixture)):
        (tmp_path / name).mkdir()
        (tmp_path / name / LOG_NAME).write_text(json.dumps(log))
    assert len(read_logs([tmp_path], template)) == 1
    assert main(["iam-report", str(tmp_path), "-t", str(template)]) == 0
    assert main(["iam-report", str(tmp_path), "-t", str(template), "--check"]) == 1
    assert "calls_denied': 1" in capsys.readouterr().err
