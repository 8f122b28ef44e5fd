"""Reading a roster file: what Excel writes with "CSV UTF-8" (a BOM or not, commas or
semicolons, Vietnamese or English headers) turned into header columns and rows of cells.

Whole-file problems (not UTF-8, no header, too big) are refused here; what each row would do
to the roster is settled by services/roster_import.py.
"""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from ..models import DelegateKind
from ..numbers import whole_number
from .delegate_profile import PROFILE_FIELDS
from .delegates import FIELD_LABELS, NUMBER_MAX, TEXT_FIELDS, clean_cell, fold
from .errors import InputRefused

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
FIELDS = ("number", *TEXT_FIELDS, "kind", "group_secretary", *PROFILE_FIELDS)

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
    "group_secretary": ("thukyto", "thukytothaoluan", "thuky", "groupsecretary", "secretary"),
    # The credentials report's details (services/delegate_profile.py).
    "sex": ("gioitinh", "sex", "gender"),
    "birth_year": ("namsinh", "yearofbirth", "birthyear", "born"),
    "ethnicity": ("dantoc", "ethnicity", "ethnicgroup"),
    "education": ("trinhdochuyenmon", "chuyenmon", "trinhdo", "education", "educationlevel",
                  "qualification"),
    "theory_level": ("lyluanchinhtri", "trinhdolyluanchinhtri", "llct", "lyluan",
                     "politicaltheory", "politicaltheorylevel", "theorylevel"),
    "party_joined_year": ("namvaodang", "vaodang", "namketnapdang", "yearofjoiningtheparty",
                          "yearjoinedparty", "joinedparty", "partyjoined", "partysince"),
    "position": ("chucvu", "chucvuhiennay", "position", "jobtitle"),
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


def _header_key(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def decode(data: bytes) -> str:
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


def header_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
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


def read_records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
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


def parse_number(raw: str) -> int | None:
    """A delegate number from 1 to 99,999, or None."""
    number = whole_number(clean_cell(raw), NUMBER_MAX)
    return number if number is not None and number >= 1 else None


# The "Thư ký tổ" column: a mark for the group's secretary, empty (or "không") for the others.
SECRETARY_MARK = "x"
SECRETARY_WORDS = {"x": SECRETARY_MARK, "co": SECRETARY_MARK, "yes": SECRETARY_MARK,
                   "1": SECRETARY_MARK, "thu ky": SECRETARY_MARK, "secretary": SECRETARY_MARK,
                   "": "", "khong": "", "no": "", "0": ""}


def parse_secretary(raw: str) -> str | None:
    """"x" for a group's secretary ("x", "có", "yes", "thư ký" …), "" for none, None if
    the cell says something else."""
    return SECRETARY_WORDS.get(fold(raw))


def parse_kind(raw: str) -> DelegateKind | None:
    """"Chính thức", "dự khuyết", "Guest" … in any case, with or without diacritics."""
    return KIND_WORDS.get(fold(raw))
