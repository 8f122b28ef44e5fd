"""Load the demo congress from seeds/: congress.toml, the Markdown sources of its documents,
and the delegate roster (delegates.csv, through the organiser's CSV import)."""

from __future__ import annotations

import io
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import AgendaItem, AgendaItemDocument, Congress, CongressSession, Role, User
from . import documents as document_service
from . import roster as roster_service
from . import users as user_service

DEMO_ORGANISER = ("bantochuc", "daihoi2025-thanhxuan")


def _nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


@dataclass(frozen=True)
class SeedResult:
    created: bool
    congress: Congress
    documents: int = 0
    items: int = 0
    delegates: int = 0


def load_demo(seed_dir: Path) -> SeedResult:
    """Create the demo congress once; on a database that already has one, change nothing."""
    from ..pdf.documents import render_markdown_document

    data = tomllib.loads((seed_dir / "congress.toml").read_text(encoding="utf-8"))
    existing = db.session.scalar(select(Congress).limit(1))
    if existing is not None:
        return SeedResult(False, existing)

    congress = Congress(**{k: _nfc(v) for k, v in data["congress"].items()})
    db.session.add(congress)
    db.session.flush()

    by_code = {}
    for entry in data["documents"]:
        source = (seed_dir / entry["source"]).read_text(encoding="utf-8")
        pdf = render_markdown_document(_nfc(source), title=_nfc(entry["title"]))
        by_code[entry["code"]] = document_service.create_document(
            congress,
            title=_nfc(entry["title"]),
            category=entry["category"],
            visibility=entry.get("visibility", "public"),
            upload=document_service.Upload(io.BytesIO(pdf), _nfc(entry["filename"])),
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

    if db.session.scalar(select(User.id).limit(1)) is None:
        user_service.create_user(*DEMO_ORGANISER, role=Role.ADMIN)
    db.session.commit()

    delegates = 0
    roster = seed_dir / "delegates.csv"
    if roster.exists():
        delegates = roster_service.apply_roster(congress, roster.read_bytes()).added
    return SeedResult(True, congress, len(by_code), items, delegates)
