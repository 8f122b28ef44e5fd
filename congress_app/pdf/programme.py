"""The printable programme: agenda with each item's QR codes, then every document's code.

Two layouts: A4 pages, or an A5 booklet imposed on A4 landscape sheets for saddle stitching
(pdf/booklet.py). The PDF is cached on disk (pdf/cache.py), keyed by a hash of exactly what
the template is given (the layout included), so it is rendered again only when the agenda,
the documents, the settings or the layout change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import current_app
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from .. import qr
from ..i18n import format_day, format_weekday
from ..labels import CATEGORY_LABELS, VISIBILITY_LABELS
from ..models import Congress, Document, Visibility
from ..services import congress as congress_service
from ..services import visibility as visibility_service
from ..services.errors import InputRefused
from .booklet import IMPOSITION_VERSION, impose_booklet
from .cache import cached_pdf
from .editions import Edition, edition_viewer
from .heading import heading_context
from .render import data_uri, nfc, page_counter_content, render_pdf
from .typography import RULES_DIGEST

# Bump when the template or its CSS changes in a way the source digest below cannot see.
TEMPLATE_VERSION = "1"
TEMPLATE = "pdf/programme.html"
# Every template the programme is built from, for the cache key.
TEMPLATE_SOURCES = (TEMPLATE, "pdf/_official_heading.html", "pdf/_place_date.html")
KIND = "programme"
LAYOUTS = ("a4", "a5-booklet")


def _hm(value) -> str:
    """24-hour "07:30", as on the web programme, the same in both languages."""
    return f"{value.hour:02d}:{value.minute:02d}" if value else ""


def _document_entry(document: Document, base_url: str) -> dict:
    """What the programme prints about one document, as plain data."""
    version = document.current_version
    restricted = []
    if document.visibility != Visibility.PUBLIC:
        restricted.append(str(VISIBILITY_LABELS[document.visibility]))
    if not document.published:
        restricted.append(_("Not published"))
    return {
        "code": document.code,
        "title": nfc(document.title),
        "category": str(CATEGORY_LABELS[document.category]),
        "payload": qr.qr_payload(base_url, document.code),
        "url": qr.document_url(base_url, document.code),
        "sha256": version.sha256 if version else None,
        "pages": ngettext("%(num)d page", "%(num)d pages", version.pages) if version else "",
        "restricted": " · ".join(restricted),
        # The same marks, one a line under the code in the agenda's narrow column.
        "restricted_marks": restricted,
    }


def _congress_dates(congress: Congress) -> str:
    """The sitting days as the web pages write them: "22/7/2025 – 23/7/2025", in English
    "22 Jul 2025 – 23 Jul 2025" (day before month, never CLDR's English "7/22/2025")."""
    if congress.starts_on == congress.ends_on:
        return format_weekday(congress.starts_on)
    return f"{format_day(congress.starts_on)} – {format_day(congress.ends_on)}"


def programme_context(congress: Congress, user, layout: str = "a4") -> dict:
    """Everything the template prints, as JSON-able data; visibility is the services' job.

    `layout` is part of the context, so an A4 render and a booklet are cached side by side.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown programme layout {layout!r}")
    base_url = current_app.config["PUBLIC_BASE_URL"]
    sessions = congress_service.programme(congress, user)
    documents = visibility_service.list_documents(congress, user)
    title = nfc(congress.title)
    return {
        "layout": layout,
        # The imposition is code, not template: its version must change the booklet's key.
        "imposition": IMPOSITION_VERSION if layout == "a5-booklet" else None,
        "locale": str(get_locale()),
        "base_url": base_url,
        "labels": {
            "programme": _("Programme"),
            "time": _("Time"),
            "item": _("Agenda item"),
            "documents": _("Documents"),
            "dates": _("Dates"),
            "venue": _("Venue"),
            "term": _("Term"),
            "scan_hint": _("Scan a QR code with your phone's camera to open the document."),
            "documents_heading": _("Documents of the congress"),
            "documents_hint": _(
                "Scan a code with your phone's camera to open the document, "
                "or type the address printed under its title."
            ),
            "empty": _("The programme has not been published yet."),
            "page": _("Page %(page)s of %(pages)s"),
            "local_warning": (
                _(
                    "These QR codes open %(url)s, which phones in the hall cannot reach. "
                    "Set PUBLIC_BASE_URL to the public address before printing.",
                    url=base_url,
                )
                if qr.is_local_base_url(base_url)
                else ""
            ),
        },
        "congress": {
            # The programme is issued on the first day, as the congress adopts it then.
            **heading_context(congress, congress.starts_on),
            "title": title,
            "motto": nfc(congress.motto),
            # The title usually says "nhiệm kỳ 2025–2030" already; do not print it twice.
            "term": "" if congress.term in title else nfc(congress.term),
            "dates": _congress_dates(congress),
            "venue": nfc(congress.venue),
        },
        "sessions": [
            {
                "name": nfc(ps.session.name),
                # The running head of the pages the session's agenda continues on.
                "continued": _("%(session)s (continued)", session=nfc(ps.session.name)),
                "date": format_weekday(ps.session.date),
                "times": "–".join(
                    t for t in (_hm(ps.session.starts_at), _hm(ps.session.ends_at)) if t
                ),
                "items": [
                    {
                        "time": _hm(pi.item.starts_at),
                        "title": nfc(pi.item.title),
                        "presenter": nfc(pi.item.presenter),
                        "notes": nfc(pi.item.notes),
                        "documents": [_document_entry(d, base_url) for d in pi.documents],
                    }
                    for pi in ps.items
                ],
            }
            for ps in sessions
        ],
        "documents": [_document_entry(d, base_url) for d in documents],
    }


def programme_html(context: dict) -> str:
    """The programme as HTML; QR codes are embedded PNGs from the shared QR cache."""
    entries = [d for s in context["sessions"] for i in s["items"] for d in i["documents"]]
    entries += context["documents"]
    qr_images = {
        e["code"]: data_uri(qr.qr_image(e["payload"], "png"), "image/png") for e in entries
    }
    template = current_app.jinja_env.get_template(TEMPLATE)
    return template.render(
        **context,
        qr_images=qr_images,
        page_content=Markup(page_counter_content(context["labels"]["page"])),
    )


def build_booklet(context: dict) -> bytes:
    """The A5 pages rendered, then imposed two to a sheet for the print centre."""
    return impose_booklet(render_pdf(programme_html(context)))


def render_programme_pdf(congress: Congress, user, *, layout: str = "a4") -> Path:
    """Path of the programme PDF as `user` may see it, rendered only if its inputs changed.

    `user` is a real visitor or an edition's Viewer (editions.edition_viewer); `layout` is
    "a4" (pages as read) or "a5-booklet" (sheets to print double-sided and fold).
    """
    context = programme_context(congress, user, layout)
    build = build_booklet if layout == "a5-booklet" else programme_html
    return cached_pdf(KIND, context, build, templates=TEMPLATE_SOURCES,
                      version=f"{TEMPLATE_VERSION}-{RULES_DIGEST}")


def parse_options(args: Mapping[str, str]) -> dict:
    """The print centre's options for the programme from a query string or form."""
    layout = (args.get("layout") or "a4").strip().lower()
    if layout not in LAYOUTS:
        raise InputRefused(
            _("Unknown layout “%(layout)s”: choose a4 or a5-booklet.", layout=layout[:40]),
            field="layout",
        )
    return {"layout": layout}


def render(congress: Congress, edition: Edition, options: dict) -> Path:
    """The programme for one edition with parsed options, as the print centre asks for it."""
    return render_programme_pdf(
        congress, edition_viewer(edition, congress), layout=options["layout"]
    )
