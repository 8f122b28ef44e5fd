"""The audit log for admins: who did what, filtered on the page and exported as CSV.

Only admins may read it: it names every account's actions, failed sign-ins included.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import (
    AgendaItem,
    AuditEvent,
    Congress,
    CongressSession,
    Delegate,
    Document,
    User,
)
from ..models.base import utcnow
from ..services import audit as audit_service
from ..spreadsheet_cells import safe_cell
from .access import admin_required
from .audit_sentences import sentence
from .editing import acting_user
from .files import content_disposition
from .request import int_arg
from .tenancy import get_congress

bp = Blueprint("audit", __name__, url_prefix="/organiser")

PER_PAGE = 50
TEXT_MAX = 100
DETAIL_MAX = 160

ACTION_LABELS = {
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.login_paused": _l("Sign-in paused after too many attempts"),
    "user.create": _l("Account created"),
    "user.password_changed": _l("Password changed"),
    "user.password_set": _l("One-time password set"),
    "user.update": _l("Account role or congress changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.reactivate": _l("Account reactivated"),
    "auth.login_refused_demo": _l("Sign-in with the published demo password refused"),
    "congress.create": _l("Congress set up"),
    "congress.update": _l("Congress details changed"),
    "congress.export": _l("Congress archive downloaded"),
    "congress.import": _l("Congress archive restored"),
    "congress.close": _l("Congress closed"),
    "congress.reopen": _l("Congress reopened"),
    "congress.purge": _l("Personal data purged"),
    "session.create": _l("Session added"),
    "session.update": _l("Session changed"),
    "session.move": _l("Session moved"),
    "session.delete": _l("Session deleted"),
    "item.create": _l("Agenda item added"),
    "item.update": _l("Agenda item changed"),
    "item.move": _l("Agenda item moved"),
    "item.delete": _l("Agenda item deleted"),
    "item.link_document": _l("Document linked to an agenda item"),
    "item.unlink_document": _l("Document unlinked from an agenda item"),
    "item.move_document": _l("Linked document moved"),
    "document.create": _l("Document uploaded"),
    "document.replace": _l("Document file replaced"),
    "document.update": _l("Document details or visibility changed"),
    "document.delete": _l("Document deleted"),
    "stage.set": _l("Put on stage"),
    "stage.clear": _l("Stage left to the clock"),
    "roster.import": _l("Roster imported"),
    "delegate.create": _l("Delegate added"),
    "delegate.update": _l("Delegate changed"),
    "delegate.deactivate": _l("Delegate deactivated"),
    "delegate.reactivate": _l("Delegate reactivated"),
    "delegate.reissue": _l("Card reissued"),
    "delegate.checkin": _l("Checked in"),
    "delegate.checkin_undo": _l("Check-in undone"),
    "delegate.checkout": _l("Checked out"),
    "delegate.checkin_return": _l("Back in after checking out"),
    "delegate.absence": _l("Reason for absence entered"),
    "cards.print": _l("Delegate cards printed"),
    "cards.print_one": _l("Delegate card printed"),
    "audit.export": _l("Audit log exported"),
    "instance.setup": _l("First administrator created with the set-up link"),
    "congress.delete": _l("Congress deleted"),
    "demo.reset": _l("Demo congress reset"),
    "delegate.delete": _l("Delegate deleted"),
}

_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def action_label(action: str) -> str:
    """The translated name of an action; an action without a label is shown as stored."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


# Filters -----------------------------------------------------------------------------


def _parse_day(name: str, errors: list[str]) -> date | None:
    """A YYYY-MM-DD day from the query string (what <input type=date> sends)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(_("“%(value)s” is not a date (use the date picker, or YYYY-MM-DD).",
                        value=raw[:20]))
        return None
    if not 1900 <= day.year <= 2999:  # 9999-12-31 + 1 day overflows datetime
        errors.append(_("“%(value)s” is too far in the past or the future: choose a day "
                        "between the years 1900 and 2999.", value=raw[:20]))
        return None
    return day


def _requested_filter() -> tuple[audit_service.AuditFilter, list[str]]:
    """The filter from the query string, and a message for each value that was refused."""
    errors: list[str] = []
    since, until = _parse_day("since", errors), _parse_day("until", errors)
    if since and until and since > until:
        errors.append(_("The first day is after the last day."))
        since = until = None
    wanted = audit_service.AuditFilter(
        action=request.args.get("action", "").strip()[:50],
        account=request.args.get("account", "").strip()[:20],
        since=since,
        until=until,
        text=request.args.get("q", "").strip()[:TEXT_MAX],
    )
    return wanted, errors


def _filter_args(wanted: audit_service.AuditFilter) -> dict[str, str]:
    """The filter as query-string values, for page links and the CSV link."""
    args = {"action": wanted.action, "account": wanted.account, "q": wanted.text,
            "since": wanted.since.isoformat() if wanted.since else "",
            "until": wanted.until.isoformat() if wanted.until else ""}
    return {k: v for k, v in args.items() if v}


# Rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What an event was about: a readable name and, while the object exists, a link."""

    text: str
    url: str | None = None


def _subjects(events: list[AuditEvent]) -> dict[tuple[str, int], Subject]:
    """Name and link the objects of a page of events, with one query per kind of object."""
    ids: dict[str, set[int]] = {}
    for event in events:
        if event.object_type and event.object_id is not None:
            ids.setdefault(event.object_type, set()).add(event.object_id)

    def load(model, type_ids):
        return db.session.scalars(select(model).where(model.id.in_(type_ids))).all()

    found: dict[tuple[str, int], Subject] = {}
    describe = {
        "Document": (Document, lambda d: Subject(
            f"{d.code} · {d.title}", url_for("organiser.document", document_id=d.id))),
        "Delegate": (Delegate, lambda d: Subject(
            _("No. %(number)d · %(name)s", number=d.number, name=d.full_name),
            url_for("roster.delegate", delegate_id=d.id))),
        "AgendaItem": (AgendaItem, lambda i: Subject(
            i.title, url_for("organiser.item_edit", item_id=i.id))),
        "CongressSession": (CongressSession, lambda s: Subject(
            s.name, url_for("organiser.agenda", _anchor=f"session-{s.id}"))),
        "Congress": (Congress, lambda c: Subject(
            c.slug, url_for("organiser.congress_details"))),
        "User": (User, lambda u: Subject(u.username)),
    }
    for type_name, type_ids in ids.items():
        if type_name in describe:
            model, subject = describe[type_name]
            for obj in load(model, type_ids):
                found[(type_name, obj.id)] = subject(obj)
    return found


def _subject(event: AuditEvent, known: dict[tuple[str, int], Subject]) -> Subject:
    """The object of one event; a deleted one keeps its kind and id, without a link."""
    if not event.object_type:
        return Subject("")
    return known.get((event.object_type, event.object_id),
                     Subject(f"{event.object_type} #{event.object_id}"))


def _who(event: AuditEvent) -> str:
    """The account's name; events without one (CLI, failed sign-ins) are the system's."""
    return event.user.username if event.user is not None else _("system")


def event_sentence(event: AuditEvent) -> str:
    """What happened, as one sentence in the viewer's language (web/audit_sentences.py)."""
    return sentence(event.action, audit_service.details(event))


def compact_details(event: AuditEvent, limit: int = DETAIL_MAX) -> str:
    """The event's sentence on one line, cut at `limit` characters for the page's table."""
    text = event_sentence(event)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Pages -------------------------------------------------------------------------------


@bp.get("/audit")
@admin_required
def index():
    """Newest events first, 50 to a page, with the filters and the CSV export."""
    wanted, errors = _requested_filter()
    timezone = current_app.config["CONGRESS_TIMEZONE"]
    scope = current_user.congress_id  # an admin tied to a congress reads only its events
    page = db.paginate(audit_service.events_query(wanted, timezone, scope),
                       page=int_arg("page", 1, hi=10**6, clamp=True), per_page=PER_PAGE,
                       error_out=False)
    known = _subjects(page.items)
    rows = [(event, _who(event), action_label(event.action), _subject(event, known),
             compact_details(event)) for event in page.items]
    actions = audit_service.actions_present(scope)
    if wanted.action and wanted.action not in actions:
        actions.append(wanted.action)
    return render_template(
        "organiser/audit.html",
        congress=get_congress(),
        page=page,
        rows=rows,
        wanted=wanted,
        filter_args=_filter_args(wanted),
        errors=errors,
        actions=sorted(((a, action_label(a)) for a in actions), key=lambda p: p[1].lower()),
        accounts=audit_service.accounts_present(scope),
        system=audit_service.SYSTEM,
    ), 400 if errors else 200


def _csv_lines(wanted: audit_service.AuditFilter, timezone: str,
               scope: int | None) -> Iterator[str]:
    """The CSV, a few hundred rows at a time: a long congress's log never sits in memory."""
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # the BOM makes Excel read the file as UTF-8
    writer.writerow([_("Time"), _("Account"), _("Action"), _("Action code"), _("Object"),
                     _("Object id"), _("Details"), _("Details (data)")])
    events = db.session.scalars(
        audit_service.events_query(wanted, timezone, scope).execution_options(yield_per=500)
    )
    for n, event in enumerate(events, start=1):
        writer.writerow([safe_cell(v) for v in (
            event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            _who(event),
            action_label(event.action),
            event.action,
            event.object_type,
            "" if event.object_id is None else str(event.object_id),
            event_sentence(event),
            event.detail,
        )])
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@bp.get("/audit.csv")
@admin_required
def export_csv():
    """Every event the filters select, as a CSV that Excel opens with its Vietnamese intact."""
    wanted, errors = _requested_filter()
    if errors:
        abort(400)
    timezone = current_app.config["CONGRESS_TIMEZONE"]
    audit_service.record(acting_user(), "audit.export", None,
                         filters=_filter_args(wanted))
    db.session.commit()
    congress = get_congress()
    now = utcnow().astimezone(ZoneInfo(timezone))
    name = _UNSAFE_FILENAME.sub(" ", f"Nhật ký hoạt động {congress.slug if congress else ''}")
    filename = f"{' '.join(name.split())[:100]} {now:%Y-%m-%d %Hh%M}.csv"
    disposition = content_disposition(filename, as_attachment=True)
    response = Response(stream_with_context(_csv_lines(wanted, timezone, current_user.congress_id)),
                        mimetype="text/csv", headers={"Content-Disposition": disposition})
    response.headers["Cache-Control"] = "no-store"
    return response

