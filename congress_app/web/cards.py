"""Printable delegate cards and the attendance sheet (PDF), for organisers.

Cards carry each delegate's sign-in token and PIN: they are rendered in memory for the
organiser who asks, sent with Cache-Control: no-store and never written to disk.
"""

from __future__ import annotations

import io
import re

from flask import (
    Blueprint,
    redirect,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..i18n import PRINT_LANGUAGE, print_language
from ..models import CheckIn, Congress, Delegate
from ..pdf import attendance, cards
from ..services import audit
from ..services import delegates as delegate_service
from ..services.errors import InputRefused
from .access import organiser_required, own_or_404
from .checkin import session_arg
from .editing import acting_user
from .files import send_download
from .request import int_arg
from .tenancy import congress_or_404

bp = Blueprint("cards", __name__, url_prefix="/organiser/print")

# Characters that file systems or Content-Disposition fallbacks handle badly.
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _option(name: str, allowed: tuple[str, ...]) -> str | None:
    """A query-string option: one of `allowed` (the first when left out), or None."""
    value = request.args.get(name, "").strip().lower() or allowed[0]
    return value if value in allowed else None


def _card_options() -> tuple[str, str]:
    """(layout, pin) from the query string, or a 400 page that names the bad value."""
    layout = _option("layout", cards.LAYOUTS)
    if layout is None:
        raise InputRefused(_(
            "Unknown card layout “%(value)s”: choose a4 (8 cards per A4 sheet) or a6 "
            "(one badge per A6 page).", value=request.args["layout"][:40]), field="layout")
    pin = _option("pin", cards.PIN_MODES)
    if pin is None:
        raise InputRefused(_(
            "Unknown PIN option “%(value)s”: choose back (on the back of each card) or slip "
            "(separate slips after the cards).", value=request.args["pin"][:40]), field="pin")
    return layout, pin


def download_filename(*parts, language: str | None = None) -> str:
    """A download name such as "Thẻ đại biểu - Đảng bộ phường X.pdf", its words in the
    printout's language (lazy strings among `parts` are translated into it)."""
    with force_locale(language or str(get_locale())):
        texts = [str(p) for p in parts if p]
    name = " - ".join(t.strip() for t in texts if t.strip())
    return _UNSAFE_FILENAME.sub(" ", name)[:150].strip() + ".pdf"


def send_private_pdf(pdf: bytes, download_name: str):
    """Send PDF bytes inline; no-store, since cards hold secrets and sheets personal data."""
    response = send_download(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        download_name=download_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def print_counts(congress: Congress) -> dict:
    """How many cards each choice on the print page would give."""
    active = (Delegate.congress_id == congress.id) & Delegate.active.is_(True)
    by_group = db.session.execute(
        select(Delegate.discussion_group, func.count())
        .where(active, Delegate.discussion_group != "")
        .group_by(Delegate.discussion_group)
        .order_by(Delegate.discussion_group)
    ).all()
    checked_in = db.session.scalar(
        # A delegate checked in to several sessions is one delegate without a card to print.
        select(func.count(func.distinct(CheckIn.delegate_id))).select_from(CheckIn)
        .join(Delegate).where(active)
    )
    total = db.session.scalar(select(func.count()).select_from(Delegate).where(active))
    return {"active": total, "without_checkin": total - checked_in,
            "groups": [(group, count) for group, count in by_group]}


@bp.get("/cards.pdf")
@organiser_required
def cards_pdf():
    """Cards of all active delegates, or of one discussion group, or of those not yet
    checked in; ordered by number."""
    congress = congress_or_404()
    layout, pin = _card_options()
    language = print_language(request.args)
    group = request.args.get("group", "").strip()
    if group and group not in cards.discussion_groups(congress):
        raise InputRefused(
            _("There is no discussion group “%(group)s” among the active delegates.",
              group=group[:60]), field="group")
    without_checkin = request.args.get("without_checkin", "")
    if without_checkin not in ("", "1"):
        raise InputRefused(_("“without_checkin” can only be 1 (checked) or left out."),
                           field="without_checkin")
    delegates = cards.card_delegates(congress, group=group or None,
                                     without_checkin=without_checkin == "1")
    if not delegates:
        raise InputRefused(_("No active delegate matches this choice, so there are no cards "
                             "to print."), status=404)
    pdf = cards.render_cards_pdf(congress, delegates, layout=layout, pin=pin, language=language)
    audit.record(acting_user(), "cards.print", congress,
                 count=len(delegates), layout=layout, pin=pin, group=group,
                 without_checkin=without_checkin == "1")
    db.session.commit()
    return send_private_pdf(pdf, download_filename(_l("Delegate cards"), group,
                                                   congress.organisation, language=language))


@bp.get("/card")
@organiser_required
def card_by_number():
    """The reprint form asks for a delegate number; send it on to that delegate's card."""
    congress = congress_or_404()
    number = int_arg("number", lo=0)
    if number is None:
        raise InputRefused(_("Enter the delegate's number, for example 12."), field="number")
    delegate = delegate_service.delegate_by_number(congress, number)
    if delegate is None:
        raise InputRefused(_("There is no delegate number %(number)s.", number=number),
                           status=404, field="number")
    layout, pin = _card_options()
    language = print_language(request.args)
    return redirect(url_for(".delegate_card_pdf", delegate_id=delegate.id, layout=layout,
                            pin=pin, **{PRINT_LANGUAGE: language}))


@bp.get("/delegates/<int:delegate_id>/card.pdf")
@organiser_required
def delegate_card_pdf(delegate_id: int):
    """One delegate's card, with the current credentials: the reprint after a reissue."""
    congress = congress_or_404()
    delegate = own_or_404(Delegate, delegate_id)
    if not delegate.active:
        raise InputRefused(
            _("%(name)s has been deactivated, so no card can be printed. Reactivate the "
              "delegate in the roster first.", name=delegate.full_name), status=410)
    layout, pin = _card_options()
    language = print_language(request.args)
    pdf = cards.render_cards_pdf(congress, [delegate], layout=layout, pin=pin, language=language)
    audit.record(acting_user(), "cards.print_one", delegate,
                 number=delegate.number, version=delegate.credential_version,
                 layout=layout, pin=pin)
    db.session.commit()
    return send_private_pdf(pdf, download_filename(
        _l("Delegate card %(number)s", number=cards.number_text(delegate.number)),
        delegate.full_name, language=language))


@bp.get("/attendance-sheet.pdf")
@organiser_required
def attendance_sheet_pdf():
    """The attendance sheet for the credentials committee, as of now."""
    congress = congress_or_404()
    language = print_language(request.args)
    delegates = attendance.attendance_delegates(congress)
    pdf = attendance.render_attendance_sheet_pdf(
        congress, delegates, language=language,
        session=session_arg(congress, request.args.get("session")))
    return send_private_pdf(
        pdf, download_filename(_l("Attendance list of the congress"), congress.organisation,
                               language=language))
