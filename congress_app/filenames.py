"""File names that survive every operating system a delegate's file may land on.

Uploads keep their Vietnamese names; downloads offer them twice (RFC 6266): the UTF-8 name
and a plain ASCII one for the clients that read only `filename="…"`. Both are made here.
"""

from __future__ import annotations

import re
import unicodedata

# Names Windows keeps for devices, whatever the extension or case: "CON.pdf", "nul.tar.gz"
# and "Com1 .png" open the device instead of a file (or cannot be saved at all).
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³")}
)
# Letters and signs NFKD leaves as they are, with the ASCII a reader expects instead.
_ASCII_FOR = str.maketrans({
    "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-",
    "‘": "'", "’": "'", "“": "", "”": "", "«": "", "»": "",
    "…": "...", "·": "-", "\u00a0": " ", "\u202f": " ",
})
# Characters that no file system or quoted header value takes as they are.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def windows_safe(name: str) -> str:
    """The name, with "_" in front if Windows reserves its first part for a device."""
    stem = name.split(".", 1)[0].rstrip(" ")
    return f"_{name}" if stem.upper() in WINDOWS_RESERVED else name


def ascii_fallback(name: str) -> str:
    """A plain ASCII form of a Vietnamese file name: "Đại hội – Báo cáo.pdf" gives
    "Dai hoi - Bao cao.pdf" (Đ is its own letter, not D with a mark, so NFKD alone drops it)."""
    text = unicodedata.normalize("NFKD", name.translate(_ASCII_FOR))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _UNSAFE.sub(" ", text.encode("ascii", "ignore").decode("ascii"))
    text = " ".join(text.split())
    stem, dot, extension = text.rpartition(".")
    if not dot:
        stem, extension = text, ""
    if not stem.strip(" .-"):  # nothing left of a name in another script
        text = f"download.{extension}" if extension else "download"
    return windows_safe(text)
