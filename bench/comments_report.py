"""The compiled report of the delegates' comments (góp ý): 2,000 comments on the demo draft
resolution, the size of a ward congress's consultation, rendered as the secretariat prints
and adopts it. The first render in this process is the cold figure; the rest are warm."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import Delegate, DelegateKind, Document, DocumentCategory, utcnow
from congress_app.pdf.comments_report import render_comments_report_pdf
from congress_app.services import comments as comment_service
from congress_app.services import congress as congress_service
from congress_app.services import paragraphs

from .instance import PUBLIC_BASE_URL
from .report import Report, Target

COMMENTS = 2000
STANCES = ("agree", "disagree", "partly")


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


def measure(report: Report, app: Flask, runs: int, count: int = COMMENTS) -> None:
    """`count` below COMMENTS (a quick run) is a smoke test: its figure has no target."""
    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        congress = congress_service.first_congress()
        covered = _write_comments(congress, count)
        samples, pages = [], 0
        for _ in range(runs + 1):
            start = time.perf_counter()
            pdf = render_comments_report_pdf(congress)
            samples.append((time.perf_counter() - start) * 1000)
            pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    report.add("comments.report_cold", "compiled comments report: first render", "ms",
               samples[:1], target=Target("<=", 3000) if count >= COMMENTS else None,
               note=f"{count:,} comments on {covered} paragraphs, {pages} pages")
    report.add("comments.report_warm", "compiled comments report: again", "ms", samples[1:],
               note="the same report, fonts and templates loaded")
