"""The bench never reports a scenario that answered nothing as measured, let alone as met."""

from __future__ import annotations

from bench.load import WrkRun
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
