"""Page images for the phone reader: every page of every demo document rendered cold
(pdfium → both widths → WebP), timed page by page."""

from __future__ import annotations

import tempfile
import time

from flask import Flask
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import Document
from congress_app.services import page_images
from congress_app.storage import file_store

from .report import Report


def measure(report: Report, app: Flask, pages_per_document: int | None = None) -> None:
    """One sample per page (or the first few pages of each document), into an empty cache."""
    samples = []
    with app.app_context(), tempfile.TemporaryDirectory(prefix="bench-pages-") as cache_dir:
        documents = db.session.scalars(select(Document).order_by(Document.position))
        for document in documents:
            version = document.current_version
            source = file_store().path_for(version.sha256)
            for n in range(1, min(version.pages, pages_per_document or version.pages) + 1):
                start = time.perf_counter()
                page_images.render_page(version.sha256, version.mime_type, source, n, cache_dir)
                samples.append((time.perf_counter() - start) * 1000)
    report.add("pages.per_page", "page image, cold, per page", "ms", samples, show_p95=True,
               note=f"{len(samples)} pages, {len(page_images.WIDTHS)} widths each")
