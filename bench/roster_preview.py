"""Reading a roster file before it is applied: the largest file the import accepts
(5,000 delegates) and a hostile one (a quote never closed, 200 KB) that must be refused as
fast. An organiser waits on both at the preview step."""

from __future__ import annotations

import time

from flask import Flask

from congress_app.services import congress as congress_service
from congress_app.services import roster_file, roster_import
from congress_app.services.errors import InputRefused

from .instance import PUBLIC_BASE_URL
from .report import Report, Target

HEADER = "STT;Họ và tên;Đơn vị;Tổ thảo luận;Ghế;Loại"


def _largest() -> bytes:
    rows = [f"{n};Nguyễn Văn {n};Chi bộ Khu dân cư số {n % 40 + 1};Tổ {n % 12 + 1};A-{n};"
            for n in range(1, roster_file.MAX_ROWS + 1)]
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode()


def _runaway_quote() -> bytes:
    return b'STT,"H\xc3\xb4\n' + b"x" * 200_000 + b"\n"


def measure(report: Report, app: Flask, runs: int) -> None:
    """Each file `runs` times after one untimed warm-up; nothing is applied."""
    largest, hostile = _largest(), _runaway_quote()
    read, refused = [], []
    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        congress = congress_service.first_congress()
        for samples, data, must_refuse in ((read, largest, False), (refused, hostile, True)):
            for run in range(runs + 1):
                start = time.perf_counter()
                try:
                    preview = roster_import.preview_roster(congress, data)
                except InputRefused:
                    if not must_refuse:
                        raise
                else:
                    if must_refuse:
                        raise RuntimeError("the runaway-quote roster was not refused")
                    if len(preview.to_add) < roster_file.MAX_ROWS - 200:
                        raise RuntimeError(f"the preview adds {len(preview.to_add)} delegates")
                if run:
                    samples.append((time.perf_counter() - start) * 1000)
    report.add("roster.preview_largest", "roster: preview of the largest file", "ms", read,
               target=Target("<=", 2000), note=f"{roster_file.MAX_ROWS:,} rows")
    report.add("roster.refuse_hostile", "roster: a runaway quote refused", "ms", refused,
               target=Target("<=", 2000), note="200 KB, one quote never closed")
