"""The compiled report of the delegates' comments (góp ý): 2,000 comments on the demo draft
resolution, the size of a ward congress's consultation, rendered as the secretariat prints
and adopts it. The first render in this process is the cold figure (target: 3 s); the rest
are warm. The same report rendered by one process is measured too, in the same run, as the
figure to compare the parts rendered at once with (pdf/parallel.py)."""

from __future__ import annotations

import io
import time
import uuid
from datetime import timedelta

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import Delegate, DelegateKind, Document, DocumentCategory, utcnow
from congress_app.pdf import comments_report
from congress_app.pdf.comments_report import render_comments_report_pdf
from congress_app.services import comments as comment_service
from congress_app.services import congress as congress_service
from congress_app.services import paragraphs

from .instance import PUBLIC_BASE_URL
from .report import Report, Target

COMMENTS = 2000
STANCES = ("agree", "disagree", "partly")
COLD_TARGET_MS = 3000


def _write_comments(congress, count: int) -> int:
    """`count` comments from the official delegates, spread over every § of the draft."""
    draft = db.session.scalar(select(Document).where(
        Document.congress_id == congress.id,
        Document.category == DocumentCategory.DRAFT_RESOLUTION))
    if draft is None:
        raise RuntimeError("the demo congress has no draft resolution to comment on")
    comment_service.open_window(congress, draft, opens_at=None,
                                closes_at=utcnow() + timedelta(days=1), scope="paragraphs")
    numbered = paragraphs.paragraphs(draft.current_version)
    delegates = list(db.session.scalars(select(Delegate).where(
        Delegate.congress_id == congress.id, Delegate.kind == DelegateKind.OFFICIAL)))
    if not numbered or not delegates:
        raise RuntimeError("no paragraph or no official delegate for the comments")
    for n in range(count):
        paragraph = numbered[n % len(numbered)]
        words = paragraph.text.split()
        comment_service.write_comment(
            congress, draft, delegates[n % len(delegates)], client_id=str(uuid.uuid4()),
            paragraph=paragraph.number, stance=STANCES[n % 3],
            text=f"Ý kiến số {n + 1}: đề nghị làm rõ nội dung của § {paragraph.number}.",
            proposed_wording=" ".join([*words[:-1], "cụ thể hơn"]) if n % 5 == 0 else "")
    return len(numbered)


def _timed_render(congress) -> tuple[float, int]:
    """One render: its milliseconds and the PDF's pages."""
    start = time.perf_counter()
    pdf = render_comments_report_pdf(congress)
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, len(PdfReader(io.BytesIO(pdf)).pages)


def measure(report: Report, app: Flask, runs: int, count: int = COMMENTS) -> None:
    """`count` below COMMENTS (a quick run) is a smoke test: its figure has no target."""
    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        congress = congress_service.first_congress()
        covered = _write_comments(congress, count)
        processes = comments_report.processes()
        samples, pages = [], 0
        for _ in range(runs + 1):
            elapsed, pages = _timed_render(congress)
            samples.append(elapsed)
        setting = app.config.get(comments_report.PROCESSES_SETTING)
        app.config[comments_report.PROCESSES_SETTING] = 1
        try:
            one = [_timed_render(congress) for _ in range(runs)]
        finally:
            app.config[comments_report.PROCESSES_SETTING] = setting
    cold, one_ms = samples[0], min(ms for ms, _ in one)
    what = f"{count:,} comments on {covered} paragraphs"
    print(f"    compiled report, {what}: cold {cold / 1000:.2f} s against the "
          f"{COLD_TARGET_MS / 1000:g} s target ({cold / COLD_TARGET_MS:.0%} of it); warm "
          f"{min(samples[1:]) / 1000:.2f} s in {processes} process(es), "
          f"{one_ms / 1000:.2f} s in one ({one_ms / min(samples[1:]):.2f}×)", flush=True)
    target = Target("<=", COLD_TARGET_MS) if count >= COMMENTS else None
    report.add("comments.report_cold", "compiled comments report: first render", "ms",
               samples[:1], target=target,
               note=f"{what}, {pages} pages, {processes} process(es)")
    report.add("comments.report_warm", "compiled comments report: again", "ms", samples[1:],
               note="the same report, fonts and templates loaded")
    report.add("comments.report_one_process", "compiled comments report: one process",
               "ms", [ms for ms, _ in one],
               note=f"warm, {one[0][1]} pages; the parts at once take "
                    f"{min(samples[1:]) / one_ms:.0%} of its time")
