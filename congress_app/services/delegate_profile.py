"""The roster's optional details the credentials committee reports on: sex, year of birth,
ethnicity, education and political-theory levels, year of joining the party, position.

One set of rules for the CSV import and the edit form: each detail is read from text
(Vietnamese or English words, any case, with or without diacritics) into what the column
stores, or refused with a message that names the column. Empty always means "no data":
the report counts it as such and never guesses.
"""

from __future__ import annotations

import enum

from flask_babel import gettext as _

from ..models import Delegate, EducationLevel, Sex, TheoryLevel
from ..models.base import utcnow
from ..numbers import whole_number
from .delegate_fields import FIELD_LABELS, clean_cell, fold

PROFILE_FIELDS = ("sex", "birth_year", "ethnicity", "education", "theory_level",
                  "party_joined_year", "position")
TEXT_MAX = {"ethnicity": 50, "position": 200}
YEAR_FIELDS = ("birth_year", "party_joined_year")

PROFILE_LABELS = {name: FIELD_LABELS[name] for name in PROFILE_FIELDS}

# The Party was founded in 1930; nobody born before 1900 sits in a congress today.
EARLIEST_BIRTH = 1900
EARLIEST_JOINING = 1930
# Admission to the Party is from 18; a year or two of leeway for wartime admissions.
YOUNGEST_MEMBER = 16

SEX_WORDS = {
    "nam": Sex.MALE, "male": Sex.MALE, "man": Sex.MALE,
    "nu": Sex.FEMALE, "female": Sex.FEMALE, "woman": Sex.FEMALE,
}
EDUCATION_WORDS = {
    **dict.fromkeys(("tien si", "ts", "doctorate", "phd", "doctor"), EducationLevel.DOCTORATE),
    **dict.fromkeys(("thac si", "ths", "master", "masters", "master's degree"),
                    EducationLevel.MASTER),
    **dict.fromkeys(("dai hoc", "cu nhan", "ky su", "university", "bachelor",
                     "university degree"), EducationLevel.UNIVERSITY),
    **dict.fromkeys(("cao dang", "college"), EducationLevel.COLLEGE),
    **dict.fromkeys(("trung cap", "vocational"), EducationLevel.VOCATIONAL),
    **dict.fromkeys(("pho thong", "thpt", "12/12", "general", "secondary"),
                    EducationLevel.GENERAL),
}
THEORY_WORDS = {
    **dict.fromkeys(("cao cap", "cu nhan", "cu nhan chinh tri", "advanced"),
                    TheoryLevel.ADVANCED),
    **dict.fromkeys(("trung cap", "intermediate"), TheoryLevel.INTERMEDIATE),
    **dict.fromkeys(("so cap", "elementary"), TheoryLevel.ELEMENTARY),
    **dict.fromkeys(("chua qua dao tao", "chua dao tao", "khong", "none"), TheoryLevel.NONE),
}
ENUM_WORDS: dict[str, dict[str, enum.StrEnum]] = {
    "sex": SEX_WORDS, "education": EDUCATION_WORDS, "theory_level": THEORY_WORDS}
# What a message suggests writing, per column (Vietnamese words: the roster's language).
ENUM_HINTS = {
    "sex": "Nam, Nữ",
    "education": "Tiến sĩ, Thạc sĩ, Đại học, Cao đẳng, Trung cấp, Phổ thông",
    "theory_level": "Cao cấp, Trung cấp, Sơ cấp, Chưa qua đào tạo",
}


class ProfileRefused(ValueError):
    """A detail that cannot be stored: `field` names the column, `message` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def latest_birth_year() -> int:
    """Nobody younger than a party member can be: born at most 16 years ago."""
    return utcnow().year - YOUNGEST_MEMBER


def parse_detail(name: str, raw: str | int | None):
    """The column value of one detail from what was typed: None (or "" for text) when
    empty, else the enum member, year or cleaned text; ProfileRefused otherwise."""
    label = PROFILE_LABELS[name]
    text = clean_cell(str(raw)) if raw is not None else ""
    if name in TEXT_MAX:
        if len(text) > TEXT_MAX[name]:
            raise ProfileRefused(name, _("%(field)s is too long (at most %(max)d characters).",
                                         field=label, max=TEXT_MAX[name]))
        return text
    if not text:
        return None
    if name in ENUM_WORDS:
        value = ENUM_WORDS[name].get(fold(text))
        if value is None:
            raise ProfileRefused(name, _(
                "%(field)s: “%(value)s” is not known. Write one of: %(choices)s (or leave "
                "the cell empty).", field=label, value=text[:40], choices=ENUM_HINTS[name]))
        return value
    year = whole_number(text, 9999)
    earliest = EARLIEST_BIRTH if name == "birth_year" else EARLIEST_JOINING
    latest = latest_birth_year() if name == "birth_year" else utcnow().year
    if year is None or not earliest <= year <= latest:
        raise ProfileRefused(name, _(
            "%(field)s must be a year from %(earliest)d to %(latest)d, not “%(value)s”.",
            field=label, earliest=earliest, latest=latest, value=text[:40]))
    return year


def check_years(birth_year: int | None, joined_year: int | None) -> None:
    """Refuse a party admission before the age a member can have (both years known)."""
    if birth_year is not None and joined_year is not None \
            and joined_year < birth_year + YOUNGEST_MEMBER:
        raise ProfileRefused("party_joined_year", _(
            "%(field)s (%(joined)d) is less than %(age)d years after the year of birth "
            "(%(born)d): check both years.", field=PROFILE_LABELS["party_joined_year"],
            joined=joined_year, age=YOUNGEST_MEMBER, born=birth_year))


def parse_details(raw: dict) -> dict:
    """The column values of the details given in `raw` (only those); ProfileRefused for
    the first that cannot be stored."""
    values = {name: parse_detail(name, raw[name]) for name in PROFILE_FIELDS if name in raw}
    check_years(values.get("birth_year"), values.get("party_joined_year"))
    return values


def as_text(value) -> str:
    """A stored value as the import compares and shows it: "female", "1972", "Kinh", ""."""
    if value is None:
        return ""
    return value.value if isinstance(value, enum.Enum) else str(value)


def from_text(name: str, text: str):
    """as_text() read back into the column's value (the import's planned changes)."""
    if name in TEXT_MAX:
        return text
    if not text:
        return None
    if name in YEAR_FIELDS:
        return int(text)
    return {"sex": Sex, "education": EducationLevel, "theory_level": TheoryLevel}[name](text)


def stored_details(delegate: Delegate) -> dict:
    """The details of a delegate as the import compares them."""
    return {name: as_text(getattr(delegate, name)) for name in PROFILE_FIELDS}
