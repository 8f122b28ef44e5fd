"""Figures, targets, the printed table and the JSON file a run leaves behind."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"

OK, NOT_AVAILABLE, FAILED = "ok", "not available", "failed"


@dataclass(frozen=True)
class Target:
    """A figure to compare against (printed as met/missed, never asserted)."""

    op: str  # "<=" or ">="
    value: float

    def met(self, measured: float) -> bool:
        return measured <= self.value if self.op == "<=" else measured >= self.value

    def text(self, unit: str) -> str:
        return f"{'≤' if self.op == '<=' else '≥'} {self.value:g} {unit}"


@dataclass
class Figure:
    """One measured quantity: its samples (one per run, or one per call) and its summary."""

    key: str
    label: str
    unit: str
    samples: list[float] = field(default_factory=list)
    target: Target | None = None
    status: str = OK
    note: str = ""
    show_p95: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile: with few samples it is simply the largest."""
        ordered = sorted(self.samples)
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]

    @property
    def met(self) -> bool | None:
        if self.status != OK or self.target is None or not self.samples:
            return None
        return self.target.met(self.median)

    def as_json(self) -> dict:
        data: dict = {"label": self.label, "unit": self.unit, "status": self.status}
        if self.status == OK and self.samples:
            data.update(
                median=_significant(self.median),
                min=_significant(min(self.samples)),
                max=_significant(max(self.samples)),
                p95=_significant(self.p95),
                runs=len(self.samples),
            )
        if self.target is not None:
            data["target"] = self.target.text(self.unit)
            data["met"] = self.met
        if self.note:
            data["note"] = self.note
        return data


class Report:
    """The figures of one run, in the order they were measured."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.started = datetime.now()
        self.figures: dict[str, Figure] = {}
        # Raw series behind some figures (the soak's memory samples), kept in the JSON so a
        # reader can see the trend, not only its two ends.
        self.details: dict[str, object] = {}
        self.machine = machine_facts()

    def add(self, key: str, label: str, unit: str, samples: list[float], *,
            target: Target | None = None, note: str = "", show_p95: bool = False,
            answered: list[int] | None = None) -> Figure:
        """`answered`: how many answers each load run behind the samples got. A run that got
        none measured nothing, so its figures fail rather than read 0 (an error count of 0
        would otherwise pass its target)."""
        if answered is not None and (not answered or min(answered) == 0):
            return self.unavailable(
                key, label, unit, status=FAILED, target=target,
                reason=f"nothing measured: a load run got no answer (answers per run: "
                       f"{', '.join(str(a) for a in answered) or 'no run'})")
        figure = Figure(key, label, unit, [float(s) for s in samples], target,
                        note=note, show_p95=show_p95)
        self.figures[key] = figure
        return figure

    @property
    def failed(self) -> list[Figure]:
        """Figures that could not be measured although they should have been."""
        return [f for f in self.figures.values() if f.status == FAILED]

    def unavailable(self, key: str, label: str, unit: str, reason: str, *,
                    status: str = NOT_AVAILABLE, target: Target | None = None) -> Figure:
        figure = Figure(key, label, unit, [], target, status=status, note=reason)
        self.figures[key] = figure
        return figure

    def as_json(self) -> dict:
        return {
            "started_at": self.started.isoformat(timespec="seconds"),
            "finished_at": datetime.now().isoformat(timespec="seconds"),
            "quick": self.quick,
            "machine": {**self.machine, "load_average_at_end": _load_average()},
            "figures": {key: figure.as_json() for key, figure in self.figures.items()},
            **({"details": self.details} if self.details else {}),
        }

    def write(self, directory: Path = RESULTS_DIR) -> Path:
        """bench/results/<start time>.json, e.g. 2026-11-22T10-15-00.json."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.started.strftime('%Y-%m-%dT%H-%M-%S')}.json"
        path.write_text(json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
        return path

    def table(self) -> str:
        """The figures as a plain-text table, with met/missed next to each target."""
        rows = [("figure", "median", "min–max", "unit", "target", "")]
        for f in self.figures.values():
            if f.status != OK or not f.samples:
                rows.append((f.label, f.status, "", f.unit,
                             f.target.text(f.unit) if f.target else "", f.note[:60]))
                continue
            median = _num(f.median) + (f" (p95 {_num(f.p95)})" if f.show_p95 else "")
            spread = f"{_num(min(f.samples))}–{_num(max(f.samples))}" if len(f.samples) > 1 else ""
            verdict = "" if f.met is None else ("met" if f.met else "MISSED")
            rows.append((f.label, median, spread, f.unit,
                         f.target.text(f.unit) if f.target else "", verdict))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = []
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]),
                     row[3].ljust(widths[3]), row[4].ljust(widths[4]), row[5]]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("-" * len(lines[0]))
        return "\n".join(lines)


def _significant(value: float) -> float:
    """Four significant digits: a 0.004 ms cache hit must not round to zero."""
    return float(f"{value:.4g}")


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _command_output(*command: str) -> str | None:
    """First line a tool prints about itself (wrk and nginx print to stderr), or None."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts() -> dict:
    """What a reader needs to compare two result files fairly."""
    import sqlite3

    status = _command_output("git", "status", "--porcelain")
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_mb": _memory_mb(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "weasyprint": _version("weasyprint"),
        "pypdfium2": _version("pypdfium2"),
        "qrcode": _version("qrcode"),
        "flask": _version("flask"),
        "gunicorn": _version("gunicorn"),
        "wrk": _command_output("wrk", "-v"),
        "nginx": _command_output("nginx", "-v"),
        "git_commit": _command_output("git", "rev-parse", "HEAD"),
        "git_dirty": bool(status),
        "load_average_at_start": _load_average(),
    }


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None
