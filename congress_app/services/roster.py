"""The delegate roster: CSV import in two steps (preview, then apply), editing by hand, search.

A roster file is what Excel writes with "CSV UTF-8": a BOM or not, commas or semicolons,
Vietnamese or English headers. preview_roster() reads it and the database and writes
nothing; apply_roster() reads the same bytes again and applies every row in one
transaction, or none. Rows are matched to delegates by their number (STT). A file with
any rejected row is never applied: the organiser fixes the file and uploads it again.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import json
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import AuditEvent, CheckIn, Congress, Delegate, DelegateKind, User
from . import audit
from . import delegates as delegate_service
from .delegates import fold
from .errors import InputRefused

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
NUMBER_MAX = 99_999
# The longest text each column may hold (the model's column sizes).
FIELD_MAX = {"full_name": 200, "unit": 300, "discussion_group": 100, "seat": 20}
TEXT_FIELDS = tuple(FIELD_MAX)
FIELDS = ("number", *TEXT_FIELDS, "kind")

FIELD_LABELS = {
    "number": _l("Number"),
    "full_name": _l("Full name"),
    "unit": _l("Unit"),
    "discussion_group": _l("Discussion group"),
    "seat": _l("Seat"),
    "kind": _l("Kind"),
}

# Messages are translated when they are made (gettext, not lazy_gettext) because they
# quote cells of the file: Jinja takes Flask-Babel's lazy strings as safe HTML and would
# not escape what they quote. FIELD_LABELS hold no input, so they may stay lazy.

# Header names, folded and without spaces or punctuation: "Họ và tên" → "hovaten".
HEADER_ALIASES = {
    "number": ("stt", "sothutu", "sott", "number", "no", "nr", "sodaibieu"),
    "full_name": ("hovaten", "hoten", "fullname", "name", "tendaibieu"),
    "unit": ("donvi", "unit", "donvicongtac"),
    "discussion_group": ("tothaoluan", "to", "discussiongroup", "group", "nhomthaoluan"),
    "seat": ("ghe", "soghe", "seat", "chongoi", "vitrighe"),
    "kind": ("loai", "loaidaibieu", "kind", "type"),
}
REQUIRED = ("number", "full_name")

KIND_WORDS = {
    "": DelegateKind.OFFICIAL,
    "chinh thuc": DelegateKind.OFFICIAL,
    "dai bieu chinh thuc": DelegateKind.OFFICIAL,
    "official": DelegateKind.OFFICIAL,
    "du khuyet": DelegateKind.ALTERNATE,
    "dai bieu du khuyet": DelegateKind.ALTERNATE,
    "alternate": DelegateKind.ALTERNATE,
    "khach moi": DelegateKind.GUEST,
    "dai bieu khach moi": DelegateKind.GUEST,
    "guest": DelegateKind.GUEST,
}

# A spreadsheet runs a cell that starts with one of these as a formula when the roster is
# exported and opened again (CSV injection), so such text is never stored.
FORMULA_STARTS = ("=", "+", "-", "@")

# "c<congress id>-<random>": a kept file belongs to the congress it was uploaded for.
IMPORT_TOKEN = re.compile(r"c[0-9]{1,10}-[0-9a-f]{32}")
IMPORT_MAX_AGE = 24 * 3600


class RowStatus(enum.StrEnum):
    """What confirming the import would do with one row of the file."""

    ADD = "add"
    CHANGE = "change"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class FieldChange:
    """One field of an existing delegate that the file changes."""

    field: str
    old: str
    new: str


@dataclass
class RosterRow:
    """One data row of the file: `line` is its row number as the spreadsheet shows it."""

    line: int
    status: RowStatus = RowStatus.REJECTED
    number: int | None = None
    values: dict = field(default_factory=dict)
    changes: list[FieldChange] = field(default_factory=list)
    problems: list = field(default_factory=list)
    delegate_id: int | None = None
    delegate_active: bool = True


@dataclass
class RosterPreview:
    """What importing a file would do; nothing is written until apply_roster()."""

    data: bytes
    rows: list[RosterRow]
    columns: list[str]
    ignored_columns: list[str]
    missing: list[tuple[int, str]]

    def _with(self, status: RowStatus) -> list[RosterRow]:
        return [row for row in self.rows if row.status == status]

    @property
    def to_add(self) -> list[RosterRow]:
        return self._with(RowStatus.ADD)

    @property
    def to_change(self) -> list[RosterRow]:
        return self._with(RowStatus.CHANGE)

    @property
    def unchanged(self) -> list[RosterRow]:
        return self._with(RowStatus.UNCHANGED)

    @property
    def rejected(self) -> list[RosterRow]:
        return self._with(RowStatus.REJECTED)

    @property
    def has_changes(self) -> bool:
        return any(row.status in (RowStatus.ADD, RowStatus.CHANGE) for row in self.rows)

    @property
    def can_apply(self) -> bool:
        """Only a file without rejected rows is applied, and only if it changes something."""
        return self.has_changes and not self.rejected

    @property
    def fingerprint(self) -> str:
        """A digest of the planned changes: confirm applies only what the preview showed."""
        plan = [
            [row.status.value, row.number, row.delegate_id,
             [[c.field, c.old, c.new] for c in row.changes],
             row.values if row.status == RowStatus.ADD else None]
            for row in self.rows if row.status in (RowStatus.ADD, RowStatus.CHANGE)
        ]
        return hashlib.sha256(json.dumps(plan, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class ImportResult:
    """What apply_roster() did."""

    added: int
    changed: int
    unchanged: int


# Reading the file --------------------------------------------------------------------


def _header_key(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def _decode(data: bytes) -> str:
    """The file as text, or InputRefused for an empty, oversized or non-UTF-8 file."""
    if len(data) > MAX_FILE_BYTES:
        raise InputRefused(
            _("The file is larger than %(size)d MB. A roster file is much smaller: check "
              "that you chose the right file.", size=MAX_FILE_BYTES // (1024 * 1024)),
            413, "file",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputRefused(
            _("The file is not in UTF-8. In Excel, choose File › Save As › “CSV UTF-8 "
              "(Comma delimited)” and upload that file."),
            field="file",
        ) from None
    if not text.strip():
        raise InputRefused(_("The file is empty."), field="file")
    return text


def _delimiter(text: str) -> str:
    """Semicolon or comma, whichever the header line uses more (Vietnamese Excel: ";")."""
    header = next(line for line in text.splitlines() if line.strip())
    return ";" if header.count(";") > header.count(",") else ","


def _header_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Map each known field to its column; list the headers that mean nothing to us."""
    lookup = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        name = lookup.get(_header_key(title))
        if name is None:
            if title.strip():
                ignored.append(title.strip())
            continue
        if name in columns:
            raise InputRefused(
                _("The column “%(column)s” appears twice in the header row.",
                  column=FIELD_LABELS[name]),
                field="file",
            )
        columns[name] = index
    missing = [FIELD_LABELS[name] for name in REQUIRED if name not in columns]
    if missing:
        raise InputRefused(
            _("The header row must name the columns “%(number)s” (number) and “%(name)s” "
              "(full name); this file lacks: %(missing)s. The first row of the file must be "
              "the header row.", number="STT", name="Họ và tên",
              missing=", ".join(str(m) for m in missing)),
            field="file",
        )
    return columns, ignored


def _read_records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header cells, [(row number, cells)]) of the non-blank rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    try:
        for line, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = cells
                continue
            records.append((line, cells))
            if len(records) > MAX_ROWS:
                raise InputRefused(
                    _("The file has more than %(max)d delegates. Split it, or check that it "
                      "is the roster.", max=MAX_ROWS),
                    field="file",
                )
    except csv.Error:
        raise InputRefused(
            _("The file could not be read as CSV. Save it from Excel as “CSV UTF-8” and "
              "upload it again."),
            field="file",
        ) from None
    if header is None:
        raise InputRefused(_("The file is empty."), field="file")
    return header, records


# Checking values ---------------------------------------------------------------------


def clean_cell(raw: str) -> str:
    """NFC, trimmed, inner runs of spaces collapsed to one."""
    return " ".join(unicodedata.normalize("NFC", raw).split())


def cell_problem(raw: str, name: str):
    """Why this cell's text may not be stored, or None."""
    if raw.startswith(("\t", "\r")) or clean_cell(raw).startswith(FORMULA_STARTS):
        return _("%(field)s: a cell may not start with =, +, -, @ (spreadsheets run it as "
                 "a formula).", field=FIELD_LABELS[name])
    # Line breaks and tabs inside a cell become spaces; invisible characters are refused.
    if any(unicodedata.category(c) == "Cf" or (unicodedata.category(c) == "Cc"
                                                and not c.isspace()) for c in raw):
        return _("%(field)s: contains an invisible character. Retype the cell.",
                 field=FIELD_LABELS[name])
    if name in FIELD_MAX and len(clean_cell(raw)) > FIELD_MAX[name]:
        return _("%(field)s is too long (at most %(max)d characters).",
                 field=FIELD_LABELS[name], max=FIELD_MAX[name])
    return None


def parse_number(raw: str) -> int | None:
    """A delegate number from 1 to 99,999, or None."""
    text = clean_cell(raw)
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 1 <= number <= NUMBER_MAX else None


def parse_kind(raw: str) -> DelegateKind | None:
    """"Chính thức", "dự khuyết", "Guest" … in any case, with or without diacritics."""
    return KIND_WORDS.get(fold(raw))


def search_text(full_name: str, unit: str) -> str:
    """What the roster search matches: folded name and unit."""
    return fold(f"{full_name} {unit}")


def _row(line: int, cells: list[str], columns: dict[str, int], width: int) -> RosterRow:
    """Check one row's cells; the status is settled later against the database."""
    row = RosterRow(line=line)
    if any(cell.strip() for cell in cells[width:]):
        row.problems.append(_("This row has more cells than the header row. A cell that "
                              "contains the separator must be in quotes."))
    raw = {name: (cells[i] if i < len(cells) else "") for name, i in columns.items()}
    bad = set()
    for name, value in raw.items():
        problem = cell_problem(value, name)
        if problem is not None:
            row.problems.append(problem)
            bad.add(name)
    number_text = clean_cell(raw["number"])
    if "number" not in bad:
        if not number_text:
            row.problems.append(_("The number (STT) is missing."))
        else:
            row.number = parse_number(number_text)
            if row.number is None:
                row.problems.append(_(
                    "The number (STT) must be a whole number from 1 to %(max)d, not “%(value)s”.",
                    max=NUMBER_MAX, value=number_text[:40]))
    for name in TEXT_FIELDS:
        if name in raw and name not in bad:
            row.values[name] = clean_cell(raw[name])
    if "full_name" not in bad and not row.values["full_name"]:
        row.problems.append(_("The full name is missing."))
    if "kind" in raw and "kind" not in bad:
        kind = parse_kind(raw["kind"])
        if kind is None:
            row.problems.append(_(
                "Unknown kind “%(value)s”: write “%(official)s”, “%(alternate)s” or "
                "“%(guest)s” (or leave it empty for an official delegate).",
                value=clean_cell(raw["kind"])[:40], official="Chính thức",
                alternate="Dự khuyết", guest="Khách mời"))
        else:
            row.values["kind"] = kind.value
    return row


def _stored(delegate: Delegate, name: str) -> str:
    value = getattr(delegate, name)
    return value.value if isinstance(value, DelegateKind) else (value or "")


def preview_roster(congress: Congress, data: bytes) -> RosterPreview:
    """What importing these bytes would do, row by row. Reads the database, writes nothing.

    Raises InputRefused when the whole file must be refused (not UTF-8, no header, too big).
    """
    text = _decode(data)
    header, records = _read_records(text)
    columns, ignored = _header_columns(header)
    if not records:
        raise InputRefused(_("The file has a header row but no delegates under it."),
                           field="file")

    rows = [_row(line, cells, columns, len(header)) for line, cells in records]
    first_line: dict[int, int] = {}
    for row in rows:
        if row.number is None:
            continue
        if row.number in first_line:
            row.problems.append(_("The number %(number)d is already used on row %(line)d.",
                                  number=row.number, line=first_line[row.number]))
        else:
            first_line[row.number] = row.line

    existing = {
        d.number: d
        for d in db.session.scalars(select(Delegate).where(Delegate.congress_id == congress.id))
    }
    for row in rows:
        if row.problems:
            row.status = RowStatus.REJECTED
            continue
        delegate = existing.get(row.number)
        if delegate is None:
            row.status = RowStatus.ADD
            row.values.setdefault("kind", DelegateKind.OFFICIAL.value)
            continue
        row.delegate_id, row.delegate_active = delegate.id, delegate.active
        row.changes = [
            FieldChange(name, _stored(delegate, name), value)
            for name, value in row.values.items()
            if _stored(delegate, name) != value
        ]
        row.status = RowStatus.CHANGE if row.changes else RowStatus.UNCHANGED

    in_file = {row.number for row in rows}
    missing = sorted((n, d.full_name) for n, d in existing.items() if n not in in_file)
    return RosterPreview(
        data=data, rows=rows, columns=[f for f in FIELDS if f in columns],
        ignored_columns=ignored, missing=missing,
    )


def apply_roster(
    congress: Congress,
    source: RosterPreview | bytes,
    user: User | None = None,
    *,
    expected: str | None = None,
) -> ImportResult:
    """Read the file again and apply all of its rows in one transaction, or none of them.

    `expected` is the fingerprint of the preview the organiser confirmed: if the roster
    changed since, nothing is applied (409). New delegates get their card credentials.
    """
    data = source.data if isinstance(source, RosterPreview) else source
    preview = preview_roster(congress, data)
    if preview.rejected:
        raise InputRefused(
            ngettext("Nothing was imported: %(num)d row of the file has a problem. Fix it and "
                     "upload the file again.",
                     "Nothing was imported: %(num)d rows of the file have problems. Fix them "
                     "and upload the file again.", len(preview.rejected)),
            field="file",
        )
    if expected is not None and expected != preview.fingerprint:
        raise InputRefused(
            _("The roster changed after this preview was made, so nothing was imported. "
              "Check the new preview and confirm again."),
            409, "file",
        )
    result = ImportResult(len(preview.to_add), len(preview.to_change), len(preview.unchanged))
    if not preview.has_changes:
        db.session.rollback()
        return result
    try:
        added = []
        for row in preview.to_add:
            values = dict(row.values)
            delegate = Delegate(
                congress_id=congress.id,
                number=row.number,
                full_name=values["full_name"],
                unit=values.get("unit", ""),
                discussion_group=values.get("discussion_group", ""),
                seat=values.get("seat", ""),
                kind=DelegateKind(values["kind"]),
                search_name=search_text(values["full_name"], values.get("unit", "")),
            )
            db.session.add(delegate)
            added.append(delegate)
        for row in preview.to_change:
            delegate = db.session.get(Delegate, row.delegate_id)
            for change in row.changes:
                new = DelegateKind(change.new) if change.field == "kind" else change.new
                setattr(delegate, change.field, new)
            delegate.search_name = search_text(delegate.full_name, delegate.unit)
        db.session.flush()
        for delegate in added:
            delegate_service.issue_credentials(delegate)
        audit.record(
            user, "roster.import", congress,
            added=[row.number for row in preview.to_add],
            changed={row.number: [c.field for c in row.changes] for row in preview.to_change},
            unchanged=len(preview.unchanged),
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InputRefused(
            _("The roster changed while the file was being imported, so nothing was "
              "imported. Upload the file again."),
            409, "file",
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    return result


# Keeping an upload between the preview and the confirmation --------------------------


def _imports_dir() -> Path:
    folder = Path(current_app.config["CACHE_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stash_upload(data: bytes, congress: Congress) -> str:
    """Keep the uploaded file until the organiser confirms; returns its random token.

    Files older than a day, confirmed or not, are removed here.
    """
    folder = _imports_dir()
    cutoff = time.time() - IMPORT_MAX_AGE
    for old in folder.glob("*.csv"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:
            pass
    token = f"c{congress.id}-{secrets.token_hex(16)}"
    partial = folder / f"{token}.part"
    partial.write_bytes(data)
    partial.replace(folder / f"{token}.csv")
    return token


def _stash_path(token: str) -> Path:
    if not isinstance(token, str) or not IMPORT_TOKEN.fullmatch(token):
        raise InputRefused(_("This import is not known. Upload the file again."), 400, "file")
    return _imports_dir() / f"{token}.csv"


def stashed_upload(token: str, congress: Congress) -> bytes:
    """The bytes kept under this token for this congress, or InputRefused if it is unknown,
    another congress's or expired."""
    path = _stash_path(token)
    if not token.startswith(f"c{congress.id}-"):
        raise InputRefused(_("This import is not known. Upload the file again."), 404, "file")
    try:
        if path.stat().st_mtime < time.time() - IMPORT_MAX_AGE:
            path.unlink(missing_ok=True)
            raise FileNotFoundError
        return path.read_bytes()
    except FileNotFoundError:
        raise InputRefused(
            _("This import has expired or was already confirmed. Upload the file again."),
            410, "file",
        ) from None


def discard_upload(token: str) -> None:
    """Remove a kept upload (after it was applied)."""
    _stash_path(token).unlink(missing_ok=True)


# Editing by hand ---------------------------------------------------------------------


def _clean_delegate(congress: Congress, delegate: Delegate | None, *, number, full_name,
                    unit, discussion_group, seat, kind) -> dict:
    """The checked values of a delegate, or InputRefused naming the field."""
    if number is None:
        raise InputRefused(_("Enter the delegate's number (STT)."), field="number")
    if not 1 <= number <= NUMBER_MAX:
        raise InputRefused(_("The number must be from 1 to %(max)d.", max=NUMBER_MAX),
                           field="number")
    values: dict = {"number": number}
    for name, raw in (("full_name", full_name), ("unit", unit),
                      ("discussion_group", discussion_group), ("seat", seat)):
        raw = raw or ""
        problem = cell_problem(raw, name)
        if problem is not None:
            raise InputRefused(problem, field=name)
        values[name] = clean_cell(raw)
    if not values["full_name"]:
        raise InputRefused(_("Enter the delegate's full name."), field="full_name")
    try:
        values["kind"] = DelegateKind(kind or DelegateKind.OFFICIAL)
    except ValueError:
        raise InputRefused(_("Choose one of the options in the list."), field="kind") from None
    taken = delegate_service.delegate_by_number(congress, number)
    if taken is not None and taken is not delegate:
        raise InputRefused(
            _("Number %(number)d is already taken by %(name)s. Each delegate needs their "
              "own number.", number=number, name=taken.full_name),
            409, "number",
        )
    values["search_name"] = search_text(values["full_name"], values["unit"])
    return values


def _number_taken(number: int) -> InputRefused:
    return InputRefused(
        _("Number %(number)d is already taken by another delegate.", number=number),
        409, "number",
    )


def _commit(user: User | None, action: str, delegate: Delegate, **detail) -> None:
    """Flush, issue credentials to a new delegate, audit, commit; undo all on failure."""
    number = delegate.number
    try:
        db.session.flush()
        if delegate.token_hash is None:
            delegate_service.issue_credentials(delegate)
        audit.record(user, action, delegate, number=number, **detail)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _number_taken(number) from None
    except BaseException:
        db.session.rollback()
        raise


def create_delegate(congress: Congress, *, user: User | None = None, **details) -> Delegate:
    """Add one delegate by hand, with card credentials."""
    values = _clean_delegate(congress, None, **details)
    delegate = Delegate(congress_id=congress.id, **values)
    db.session.add(delegate)
    _commit(user, "delegate.create", delegate, name=delegate.full_name)
    return delegate


def update_delegate(delegate: Delegate, *, user: User | None = None, **details) -> None:
    """Change a delegate's details; the printed card keeps working."""
    values = _clean_delegate(delegate.congress, delegate, **details)
    changed = sorted(k for k, v in values.items()
                     if k != "search_name" and getattr(delegate, k) != v)
    for key, value in values.items():
        setattr(delegate, key, value)
    _commit(user, "delegate.update", delegate, changed=changed)


def set_active(delegate: Delegate, active: bool, *, user: User | None = None) -> None:
    """Deactivate (the card and PIN stop working) or reactivate a delegate; no row is deleted."""
    if delegate.active == active:
        return
    delegate.active = active
    delegate.end_sessions()  # a phone signed in before the deactivation stays signed out
    _commit(user, "delegate.reactivate" if active else "delegate.deactivate", delegate)


def checked_in_message(delegate: Delegate):
    return _l("%(name)s has been checked in, so the delegate cannot be deleted: the arrival "
              "is part of the attendance record. Deactivate the delegate instead.",
              name=delegate.full_name)


def delete_delegate(delegate: Delegate, *, user: User | None = None) -> None:
    """Remove a delegate entered by mistake. One who has been checked in stays: the arrival
    is part of the congress's attendance record (deactivate such a delegate instead)."""
    refused = InputRefused(checked_in_message(delegate), 409)
    if delegate.checkin is not None:
        raise refused
    try:
        # Earlier events of the delegate lose the row they named (SQLite may hand its id to
        # the next delegate added); their details keep the number, this one the name too.
        db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.object_type == "Delegate", AuditEvent.object_id == delegate.id)
            .values(object_type="", object_id=None),
            execution_options={"synchronize_session": False})
        audit.record(user, "delegate.delete", None, number=delegate.number,
                     name=delegate.full_name).congress_id = delegate.congress_id
        db.session.delete(delegate)
        db.session.commit()
    except IntegrityError:
        # Checked in at the door between the test above and the delete.
        db.session.rollback()
        raise refused from None
    except BaseException:
        db.session.rollback()
        raise


def reissue_card(delegate: Delegate, *, user: User | None = None) -> None:
    """New card credentials; the old card and its PIN stop working at once."""
    try:
        delegate_service.reissue_credentials(delegate, user=user)
    except BaseException:
        db.session.rollback()
        raise


# Listing and searching ---------------------------------------------------------------


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_query(congress: Congress, query: str = ""):
    """A select of the congress's delegates matching `query`, in number order.

    Every word of the query must begin a word of the folded name or unit ("nguyen van"
    finds "Nguyễn Văn …"); rows holding the whole query as typed come first. A query that
    is a number also finds the delegate with that number, listed before everyone else.
    """
    statement = select(Delegate).where(Delegate.congress_id == congress.id)
    text = fold(query)[:100]
    order = [Delegate.number]
    if text:
        words = []
        for word in text.split():
            escaped = _like_escape(word)
            words.append(or_(Delegate.search_name.like(f"{escaped}%", escape="\\"),
                             Delegate.search_name.like(f"% {escaped}%", escape="\\")))
        condition = and_(*words)
        phrase = _like_escape(text)
        order.insert(0, case(
            (or_(Delegate.search_name.like(f"{phrase}%", escape="\\"),
                 Delegate.search_name.like(f"% {phrase}%", escape="\\")), 0), else_=1))
        if text.isascii() and text.isdigit() and len(text) <= 9:  # not "²", fits INTEGER
            condition = or_(Delegate.number == int(text), condition)
            order.insert(0, case((Delegate.number == int(text), 0), else_=1))
        statement = statement.where(condition)
    return statement.options(selectinload(Delegate.checkin)).order_by(*order)


@dataclass(frozen=True)
class KindCount:
    """Delegates of one kind: active ones, how many of them checked in, deactivated ones."""

    kind: DelegateKind
    active: int
    checked_in: int
    inactive: int


def kind_counts(congress: Congress) -> list[KindCount]:
    """Per kind (official, alternate, guest), in that order."""
    rows = db.session.execute(
        select(Delegate.kind, Delegate.active, func.count(Delegate.id), func.count(CheckIn.id))
        .outerjoin(CheckIn, CheckIn.delegate_id == Delegate.id)
        .where(Delegate.congress_id == congress.id)
        .group_by(Delegate.kind, Delegate.active)
    ).all()
    totals = {kind: [0, 0, 0] for kind in DelegateKind}
    for kind, active, count, checked_in in rows:
        if active:
            totals[kind][0] += count
            totals[kind][1] += checked_in
        else:
            totals[kind][2] += count
    return [KindCount(kind, *totals[kind]) for kind in DelegateKind]
