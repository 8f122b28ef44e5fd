"""Vietnamese line breaking on the printed page: groups a line must never split.

Vietnamese writes every syllable as a word, so a browser or WeasyPrint may break a line
inside what a reader takes as one word: "Thành ⏎ ủy", "nhiệm kỳ ⏎ 2025–2030" (or even
after the dash). The `keep_together` filter wraps such groups in a span the print CSS keeps
on one line (`.keep-together { white-space: nowrap }`); the characters stay as they are,
so copying and searching the PDF find the same text.
"""

from __future__ import annotations

import hashlib
import re

from flask import Flask
from markupsafe import Markup, escape

_ROMAN = r"[IVXLCDM]+\b"
_GROUPS = (
    # A term, with or without its word: "nhiệm kỳ 2025–2030", "2020 - 2025".
    r"(?:(?i:nhiệm kỳ)\s+)?\d{4}\s*[–—-]\s*\d{4}",
    # An ordinal in Roman numerals: "lần thứ I", "khóa I", "Đại hội XIV".
    rf"(?i:lần thứ|khóa|khoá|đại hội)\s+{_ROMAN}",
    # Names of bodies written in two or three syllables: "Thành ủy", "Ban Chấp hành" …
    r"(?i:(?:Đảng|Thành|Tỉnh|Huyện|Quận|Thị|Chi|Đặc khu)\s+(?:ủy|uỷ))",
    r"(?i:đảng bộ|chi bộ|ủy ban|uỷ ban|ban chấp hành|ban thường vụ|bộ chính trị|đoàn chủ tịch"
    r"|đoàn thư ký)",
    # "Đảng bộ Thành phố" names the city's body; a lower-case "thành phố" in a sentence may
    # break like any other pair of syllables.
    r"Thành phố|THÀNH PHỐ",
    # A label ending the text stays with the word before it, never alone on the last line
    # ("… và mã ⏎ PIN:"): its value follows on the next one.
    r"\S+\s+\S+:$",
)
_KEEP = re.compile("|".join(f"(?:{g})" for g in _GROUPS))
# Part of the cache key of a cached printout that uses the filter: new rules, new layout.
RULES_DIGEST = hashlib.sha256(_KEEP.pattern.encode()).hexdigest()[:12]


def keep_together(text: str | None) -> Markup:
    """`text` escaped for HTML, each group that must stay on one line in a nowrap span."""
    escaped = str(escape(text or ""))
    # The groups hold no character escape() changes (& < > " '), so matching the escaped
    # text finds exactly the groups of the original.
    return Markup(_KEEP.sub(lambda m: f'<span class="keep-together">{m.group()}</span>',
                            escaped))


def init_app(app: Flask) -> None:
    """Make `keep_together` a Jinja filter of the app's (and so the PDFs') templates."""
    app.add_template_filter(keep_together)
