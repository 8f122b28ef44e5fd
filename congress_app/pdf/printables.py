"""The print centre's catalogue: every handout made from the congress's own data.

Each printable is a module with the same small contract — `KIND`, `parse_options(args)`
and `render(congress, edition, options) -> Path` (a cached PDF) — so the print centre lists,
previews and serves them all the same way. The language of the printout is an option of
every printable: a module renders in the current locale, which `Printable.render` forces
to the language asked for, and the cache key holds that locale (pdf/cache.py). Delegate
cards and the attendance sheet are not here: they carry secrets or personal data and are
never cached (web/cards.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..i18n import print_language
from ..models import Congress
from ..services.errors import InputRefused
from . import cache
from .editions import Edition, parse_edition


@dataclass(frozen=True)
class Printable:
    slug: str  # in the URL: /organiser/print/<slug>.pdf
    module_name: str
    title: object  # lazy string
    # The download name starts with this (lazy) title, in the printout's language.
    file_title: object
    default_edition: Edition = Edition.PUBLIC

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(f"{__package__}.{self.module_name}")

    @property
    def kind(self) -> str:
        return self.module.KIND

    def options(self, args: Mapping[str, str]) -> tuple[Edition, dict]:
        """The edition and options a query string asks for, or InputRefused naming the bad one.

        The options always hold `language`, the language of the printout.
        """
        edition = parse_edition(args.get("edition"), self.default_edition)
        if edition is None:
            raise InputRefused(
                _l("Unknown edition “%(value)s”: choose public, delegates or organisers.",
                   value=str(args.get("edition", ""))[:40]),
                field="edition",
            )
        language = print_language(args)
        return edition, {**self.module.parse_options(args), "language": language}

    def render(self, congress: Congress, args: Mapping[str, str]) -> Path:
        """The cached PDF for a query string, its labels, dates and numbers in its language."""
        edition, options = self.options(args)
        with force_locale(options["language"]):
            return self.module.render(congress, edition, options)

    def last_rendered(self):
        return cache.last_rendered(self.kind)


PRINTABLES: dict[str, Printable] = {
    p.slug: p
    for p in (
        Printable("programme", "programme", _l("Programme"), _l("Congress programme")),
        Printable("qr-sheet", "qr_sheet", _l("QR sheet"), _l("Document QR codes")),
        Printable("poster", "poster", _l("Poster"), _l("Poster")),
        Printable("table-tent", "table_tent", _l("Table tent"), _l("Table tent")),
        Printable("labels", "label_sheet", _l("Label sheet"), _l("Sticker labels with QR codes")),
        Printable("stamped", "stamp", _l("QR-stamped document"), _l("Documents with QR codes"),
                  Edition.ORGANISERS),
    )
}
