"""The words a delegate's details are matched and labelled by, shared by the roster's
services (delegates, delegate_profile, the import) so none imports another for them."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l


def fold(text: str) -> str:
    """Lower-case ASCII for matching: "Nguyễn Văn Đức" → "nguyen van duc"."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


FIELD_LABELS = {
    "number": _l("Number"),
    "full_name": _l("Full name"),
    "unit": _l("Unit"),
    "discussion_group": _l("Discussion group"),
    "seat": _l("Seat"),
    "kind": _l("Kind"),
    "group_secretary": _l("Secretary of the discussion group"),
    # The optional details of the credentials report (services/delegate_profile.py).
    "sex": _l("Sex"),
    "birth_year": _l("Year of birth"),
    "ethnicity": _l("Ethnicity"),
    "education": _l("Education level"),
    "theory_level": _l("Political-theory level"),
    "party_joined_year": _l("Year of joining the party"),
    "position": _l("Position"),
}


def clean_cell(raw: str) -> str:
    """NFC, trimmed, inner runs of spaces collapsed to one."""
    return " ".join(unicodedata.normalize("NFC", raw).split())
