"""The bench never reports a scenario that answered nothing as measured, let alone as met."""

from __future__ import annotations

import socket

import pytest

from bench.load import WrkRun, wrk
from bench.report import FAILED, Report, Target
from bench.run import exit_status


def _silent_run() -> WrkRun:
    """What wrk printed when the server answered nothing for its whole 10 s."""
    return WrkRun(requests=0, seconds=10.0, bytes=0, p50_ms=0, p99_ms=0, ok=0,
                  not_modified=0, redirects=0, other=0, socket_errors=0)


def test_a_load_run_with_no_answer_fails_its_figures_and_the_run(capsys):
    report = Report(quick=True)
    run = _silent_run()
    errors = report.add("burst.errors", "burst: errors", "count",
                        [run.non_2xx + run.socket_errors], target=Target("<=", 0),
                        answered=[run.requests])
    rate = report.add("burst.rate", "burst: req/s", "req/s", [run.rate],
                      answered=[run.requests])

    assert errors.status == FAILED and rate.status == FAILED
    assert errors.met is None  # never "met" on nothing
    assert "nothing measured" in errors.note
    assert "met" not in report.table().split("burst: errors")[1].splitlines()[0]
    assert report.as_json()["figures"]["burst.errors"]["status"] == FAILED
    assert exit_status(report) == 1
    assert "could not be measured" in capsys.readouterr().err


def test_one_silent_run_among_several_fails_the_figure():
    report = Report(quick=False)
    figure = report.add("stage.rate", "stage: req/s", "req/s", [4000.0, 0.0, 3900.0],
                        answered=[40000, 0, 39000])
    assert figure.status == FAILED


def test_a_run_that_was_answered_is_measured_and_judged():
    report = Report(quick=True)
    figure = report.add("burst.errors", "burst: errors", "count", [0],
                        target=Target("<=", 0), answered=[1600])
    assert figure.status == "ok" and figure.met is True
    assert exit_status(report) == 0


def test_a_silent_run_says_what_wrk_saw():
    run = WrkRun(requests=0, seconds=10.2, bytes=0, p50_ms=0, p99_ms=0, ok=0, not_modified=0,
                 redirects=0, other=0, socket_errors=1600,
                 errors_by_kind={"connect": 0, "read": 0, "write": 0, "timeout": 1600},
                 wrk_said="unable to connect\n")
    said = run.silence("http://127.0.0.1:5000/d/ABC", 1600)
    assert "http://127.0.0.1:5000/d/ABC in 10.2 s with 1600 connections" in said
    assert "timeout 1600" in said and "connect 0" in said and "unable to connect" in said


def test_a_load_against_a_server_that_does_not_answer_stops_before_wrk_starts():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(RuntimeError, match="did not answer one request before the load"):
        wrk(f"http://127.0.0.1:{port}/stage.json", connections=10, seconds=1)
