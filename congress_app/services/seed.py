"""Load the demo congress from seeds/: congress.toml, the Markdown sources of its documents,
and the delegate roster (delegates.csv, through the organiser's CSV import)."""

from __future__ import annotations

import io
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import (
    AgendaItem,
    AgendaItemDocument,
    Congress,
    CongressSession,
    Document,
    Role,
    User,
)
from ..storage import FileStore
from . import audit, deletion, intake, roster_import
from . import users as user_service
from .errors import InputRefused

RESET_ACTION = "demo.reset"


def _nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


@dataclass(frozen=True)
class SeedResult:
    created: bool
    congress: Congress | None
    documents: int = 0
    items: int = 0
    delegates: int = 0


def _seed_data(seed_dir: Path) -> dict:
    return tomllib.loads((seed_dir / "congress.toml").read_text(encoding="utf-8"))


def load_demo(seed_dir: Path) -> SeedResult:
    """Create the demo congress on an empty instance (no congress, no account) only.

    `make run` calls this at every start: once a congress or an account exists (set up by
    hand, or the demo deleted after a real congress was set up) it changes nothing.
    """
    existing = db.session.scalar(select(Congress).order_by(Congress.id).limit(1))
    if existing is not None or db.session.scalar(select(User.id).limit(1)) is not None:
        return SeedResult(False, existing)
    return _load(seed_dir, _seed_data(seed_dir))


def demo_congress(seed_dir: Path) -> Congress | None:
    """The demo congress, if the instance holds it: the seed's slug and its document codes
    (a real congress never has them: codes are random), so no real one is ever taken for it."""
    data = _seed_data(seed_dir)
    congress = db.session.scalar(
        select(Congress).where(Congress.slug == data["congress"]["slug"]))
    codes = [entry["code"] for entry in data["documents"]]
    if congress is None or (codes and db.session.scalar(select(Document.id).where(
            Document.congress_id == congress.id, Document.code.in_(codes)).limit(1)) is None):
        return None
    return congress


def reset_demo(seed_dir: Path, confirmation: str | None, *, user: User | None,
               store: FileStore) -> SeedResult:
    """Delete the demo congress (as delete_congress does, typed confirmation included) and
    load it again from seeds/, as it was on the first start; accounts serving every congress
    (the demo organiser too) are left as they are."""
    congress = demo_congress(seed_dir)
    if congress is None:
        raise InputRefused(_l("This site does not hold the demo congress."), 404)
    deletion.delete_congress(congress, confirmation, user=user, store=store)
    result = _load(seed_dir, _seed_data(seed_dir), demo_organiser=False)
    audit.commit(user, RESET_ACTION, result.congress)
    return result


def _load(seed_dir: Path, data: dict, *, demo_organiser: bool = True) -> SeedResult:
    """Add the demo congress, its documents, agenda and roster (the demo admin on request)."""
    from ..pdf.documents import render_markdown_document

    congress = Congress(**{k: _nfc(v) for k, v in data["congress"].items()})
    db.session.add(congress)
    db.session.flush()

    by_code = {}
    for entry in data["documents"]:
        source = (seed_dir / entry["source"]).read_text(encoding="utf-8")
        pdf = render_markdown_document(_nfc(source), title=_nfc(entry["title"]))
        by_code[entry["code"]] = intake.create_document(
            congress,
            title=_nfc(entry["title"]),
            category=entry["category"],
            visibility=entry.get("visibility", "public"),
            upload=intake.Upload(io.BytesIO(pdf), _nfc(entry["filename"])),
            code=entry["code"],
        )

    items = 0
    for s_pos, s in enumerate(data["sessions"], start=1):
        session = CongressSession(
            congress=congress, name=_nfc(s["name"]), date=s["date"],
            starts_at=s["starts_at"], ends_at=s.get("ends_at"), position=s_pos,
        )
        for i_pos, it in enumerate(s.get("items", []), start=1):
            item = AgendaItem(
                position=i_pos, starts_at=it.get("starts_at"), title=_nfc(it["title"]),
                presenter=_nfc(it.get("presenter", "")), notes=_nfc(it.get("notes", "")),
            )
            item.document_links = [
                AgendaItemDocument(document=by_code[code], position=d_pos)
                for d_pos, code in enumerate(it.get("documents", []), start=1)
            ]
            session.items.append(item)
            items += 1
        db.session.add(session)

    if demo_organiser:
        user_service.create_user(*user_service.DEMO_ORGANISER, role=Role.ADMIN)
    db.session.commit()

    delegates = 0
    roster = seed_dir / "delegates.csv"
    if roster.exists():
        delegates = roster_import.apply_roster(congress, roster.read_bytes()).added
    return SeedResult(True, congress, len(by_code), items, delegates)
