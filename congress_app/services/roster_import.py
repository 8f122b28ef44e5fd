"""The delegate roster's CSV import, in two steps: preview, then apply.

preview_roster() reads the file (services/roster_file.py) and the database and writes
nothing; apply_roster() reads the same bytes again and applies every row in one
transaction, or none. Rows are matched to delegates by their number (STT). A file with
any rejected row is never applied: the organiser fixes the file and uploads it again.
Between the two steps the upload is kept under a random token (stash_upload).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..extensions import db
from ..models import Congress, Delegate, DelegateKind, User
from . import audit, delegate_profile
from . import delegates as delegate_service
from .delegates import FIELD_LABELS, TEXT_FIELDS, cell_problem, clean_cell, search_text
from .errors import InputRefused
from .roster_file import (
    FIELDS,
    NUMBER_MAX,
    SECRETARY_MARK,
    decode,
    header_columns,
    parse_kind,
    parse_number,
    parse_secretary,
    read_records,
)

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


# Checking rows against the roster -----------------------------------------------------


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
    if "group_secretary" in raw and "group_secretary" not in bad:
        mark = parse_secretary(raw["group_secretary"])
        if mark is None:
            row.problems.append(_(
                "“%(value)s” in the column “%(column)s”: write “x” for the group's secretary, "
                "or leave it empty.", value=clean_cell(raw["group_secretary"])[:40],
                column=FIELD_LABELS["group_secretary"]))
        else:
            row.values["group_secretary"] = mark
    details = {}
    for name in delegate_profile.PROFILE_FIELDS:
        if name in raw and name not in bad:
            try:
                details[name] = delegate_profile.parse_detail(name, raw[name])
            except delegate_profile.ProfileRefused as refused:
                row.problems.append(refused.message)
                bad.add(name)
    try:
        delegate_profile.check_years(details.get("birth_year"), details.get("party_joined_year"))
    except delegate_profile.ProfileRefused as refused:
        row.problems.append(refused.message)
    row.values.update({name: delegate_profile.as_text(v) for name, v in details.items()})
    return row


def _stored(delegate: Delegate, name: str) -> str:
    value = getattr(delegate, name)
    if name == "group_secretary":
        return SECRETARY_MARK if value else ""
    if name in delegate_profile.PROFILE_FIELDS:
        return delegate_profile.as_text(value)
    return value.value if isinstance(value, DelegateKind) else (value or "")


def _secretary_without_group(row: RosterRow, delegate: Delegate | None) -> bool:
    """A row marking a secretary whose group (in the file, else on the roster) is empty."""
    group = row.values.get("discussion_group",
                           delegate.discussion_group if delegate is not None else "")
    return row.values.get("group_secretary") == SECRETARY_MARK and not group


def preview_roster(congress: Congress, data: bytes) -> RosterPreview:
    """What importing these bytes would do, row by row. Reads the database, writes nothing.

    Raises InputRefused when the whole file must be refused (not UTF-8, no header, too big).
    """
    text = decode(data)
    header, records = read_records(text)
    columns, ignored = header_columns(header)
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
        if not row.problems and _secretary_without_group(row, existing.get(row.number)):
            row.problems.append(_("A group's secretary needs a discussion group: fill in the "
                                  "group, or leave the secretary's cell empty."))
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
    with audit.edit_transaction(_changed_meanwhile):
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
                group_secretary=values.get("group_secretary") == SECRETARY_MARK,
                search_name=search_text(values["full_name"], values.get("unit", "")),
                **{name: delegate_profile.from_text(name, values[name])
                   for name in delegate_profile.PROFILE_FIELDS if name in values},
            )
            db.session.add(delegate)
            added.append(delegate)
        for row in preview.to_change:
            delegate = db.session.get(Delegate, row.delegate_id)
            for change in row.changes:
                new = change.new
                if change.field == "kind":
                    new = DelegateKind(change.new)
                elif change.field == "group_secretary":
                    new = change.new == SECRETARY_MARK
                elif change.field in delegate_profile.PROFILE_FIELDS:
                    new = delegate_profile.from_text(change.field, change.new)
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
    return result


def _changed_meanwhile() -> InputRefused:
    return InputRefused(
        _("The roster changed while the file was being imported, so nothing was "
          "imported. Upload the file again."),
        409, "file",
    )


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
