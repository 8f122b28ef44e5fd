"""Congress documents written in Markdown (the demo seeds) rendered as official A4 PDFs."""

from __future__ import annotations

import markdown
from flask import current_app
from markupsafe import Markup

from .render import nfc, page_counter_content, render_pdf

# The documents are Vietnamese whatever the visitor's language, so their page label is too.
VIETNAMESE_PAGE_LABEL = "Trang %(page)s/%(pages)s"


def render_markdown_document(
    markdown_text: str, title: str, *, page_label: str = VIETNAMESE_PAGE_LABEL
) -> bytes:
    """A4 PDF of one document's Markdown source, titled `title` in the PDF metadata.

    Raw HTML in the source is kept (the seeds are trusted text), but the fetcher still
    refuses anything outside the app's static files.
    """
    body = markdown.markdown(nfc(markdown_text), extensions=["tables"])
    html = current_app.jinja_env.get_template("pdf/document.html").render(
        title=nfc(title),
        body=Markup(body),
        page_content=Markup(page_counter_content(page_label)),
    )
    return render_pdf(html)
