"""Threads a test starts: one still running after its time is a hang, and fails the test."""

from __future__ import annotations

import threading


def join_all(threads: list[threading.Thread], timeout: float) -> None:
    """Join each thread, waiting up to `timeout` seconds for each; fail naming those still
    alive, rather than let a hung thread pass for one that finished."""
    for thread in threads:
        thread.join(timeout)
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"still running after {timeout:g} s: {', '.join(hung)}"
