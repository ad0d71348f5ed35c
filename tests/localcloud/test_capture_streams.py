"""The local cloud's stand-in for sys.stdout/sys.stderr never writes to a closed stream, and an
invocation that ends does not put back a stream older than one set while it ran."""

from __future__ import annotations

import io
import sys

from localcloud.lambda_runtime import FunctionRegistry


def test_lines_outside_an_invocation_go_to_the_process_stream_once_the_stood_in_one_is_closed(
    monkeypatch, capfd
) -> None:
    # Given a cloud's capture installed over a stream that is closed later (a test's capture ending)
    temporary = io.StringIO()
    monkeypatch.setattr(sys, "stderr", temporary)
    registry = FunctionRegistry()
    registry.install_capture()
    held = sys.stderr  # what a logging handler made meanwhile would hold
    registry.remove_capture()
    temporary.close()
    # When something writes through the stand-in it still holds
    held.write("after the capture ended\n")
    held.flush()
    # Then the line reaches the process's own standard error instead of failing on a closed file
    assert "after the capture ended" in capfd.readouterr().err


def test_an_invocation_ending_keeps_a_stream_set_while_it_ran(monkeypatch) -> None:
    # Given an invocation's stand-in streams in place (another thread's, or the host's capture, may
    # set a stream while it runs)
    from localcloud.lambda_runtime import _capturing_std_streams

    monkeypatch.setattr(sys, "stdout", io.StringIO())
    later = io.StringIO()
    with _capturing_std_streams():
        sys.stdout = later
    # Then its end does not put back the stream it saved over the later one
    assert sys.stdout is later
