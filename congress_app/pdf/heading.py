"""The official heading every Party document opens with, shared by the printouts that carry it.

Left: the parent body and the issuing body; right: the Party's name, and under it the place
and date of issue ("Thanh Xuân, ngày 22 tháng 7 năm 2025"), as the Party's rules on the
format of its documents (Hướng dẫn 36-HD/VPTW) lay them out.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import format_date, get_locale

from ..models import Congress
from .render import nfc

# Fixed wording of every Party document's heading (not a translatable label): it is printed
# in Vietnamese whatever the reader's language.
PARTY_NAME = "ĐẢNG CỘNG SẢN VIỆT NAM"

# The administrative units a Party organisation is named after: "Đảng bộ phường Thanh
# Xuân", "Đảng bộ thị xã Sơn Tây", "Đảng bộ thành phố Hà Nội".
_UNITS = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "xã", "quận", "huyện",
          "tỉnh")
_LOCALITY = re.compile(rf"\b(?P<unit>{'|'.join(_UNITS)})\s+(?P<name>[^,;()]+)", re.IGNORECASE)


def locality(organisation: str) -> str:
    """The place an organisation is named after: "Đảng bộ phường Thanh Xuân" → "Thanh Xuân".

    A place name is capitalised, which tells "xã Tân Phú" from "Bảo hiểm xã hội"; a place
    named by a number keeps its unit ("Phường 12"), as the rules ask. An organisation named
    after no place (a company's, a residential area's) gives "".
    """
    text = nfc(organisation)
    match = _LOCALITY.search(text)
    while match is not None:
        name = " ".join(match["name"].split())
        if name.isdigit():
            return f"{match['unit'].capitalize()} {name}"
        if name[:1].isupper():
            # An organisation typed in capitals still gives "Thanh Xuân, ngày …".
            return name.title() if name.isupper() else name
        match = _LOCALITY.search(text, match.end("unit"))
    return ""


def congress_locality(congress: Congress) -> str:
    """Where the congress's documents are issued: the place of the organisation, else the
    place of its parent (a "Chi bộ Khu dân cư số 7" issues from its ward)."""
    return locality(congress.organisation) or locality(congress.parent_organisation)


def official_date(day: date) -> str:
    """A date of issue as documents of the reader's language write it.

    Vietnamese: "ngày 22 tháng 7 năm 2025", a day below 10 and the months 1 and 2 written
    with a leading zero ("ngày 05 tháng 02 năm 2026") so nothing can be added in front;
    a rule of the document format, which CLDR patterns cannot say. Other languages: the
    day, the month's name and the year ("22 July 2025").
    """
    if get_locale().language == "vi":
        month = f"{day.month:02d}" if day.month < 3 else str(day.month)
        return f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return format_date(day, "d MMMM y")


def heading_context(congress: Congress, day: date) -> dict:
    """What pdf/_official_heading.html prints, as plain data; `day` is the date of issue.

    The template joins place and date as "Thanh Xuân, ngày 22 tháng 7 năm 2025" (the same in
    English: "Thanh Xuân, 22 July 2025"), only the date when no place is known.
    """
    organisation = nfc(congress.organisation)
    return {
        "party": PARTY_NAME,
        "author": organisation,
        "parent": nfc(congress.parent_organisation).upper(),
        "organisation": organisation.upper(),
        "place": congress_locality(congress),
        "issued_on": official_date(day),
    }
