"""Sample files and forms as the congress's organisers have them: roster files as Excel
writes them, the congress details form filled in, and a camera's video of a delegate card."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

from PIL import Image

from congress_app import qr

VI_HEADER = ["STT", "Họ và tên", "Đơn vị", "Tổ thảo luận", "Ghế", "Loại"]
EN_HEADER = ["Number", "Full name", "Unit", "Discussion group", "Seat", "Kind"]
ROWS = [
    ["1", "Nguyễn Văn An", "Chi bộ Khu dân cư số 1", "Tổ 1", "A-01", "Chính thức"],
    ["2", "Trần Thị Bình", "Đảng bộ Công an phường", "Tổ 2", "A-02", "Dự khuyết"],
    ["3", "Lê Hoàng Cường", "Ban Tổ chức Thành ủy", "", "KM-01", "Khách mời"],
]


def make_csv(rows=ROWS, header=VI_HEADER, sep=";", bom=True, newline="\r\n") -> bytes:
    """A roster file as Excel writes it; cells holding the separator or quotes are quoted."""

    def cell(value: str) -> str:
        if sep in value or '"' in value or "\n" in value or "\r" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [sep.join(cell(c) for c in row) for row in [header, *rows]]
    text = newline.join(lines) + newline
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def cp1258(text: str) -> bytes:
    """Text as Vietnamese Windows (code page 1258) stores it: base letters with separate
    tone marks."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            out.append(unicodedata.normalize("NFC", parts[:-1]).encode("cp1258")
                       + parts[-1].encode("cp1258"))
    return b"".join(out)


CONGRESS_FORM = {
    "title": "Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I, nhiệm kỳ 2025–2030",
    "organisation": "Đảng bộ phường Thanh Xuân",
    "parent_organisation": "Đảng bộ thành phố Hà Nội",
    "ordinal": "lần thứ I",
    "term": "2025–2030",
    "venue": "Trung tâm Hội nghị quận",
    "starts_on": "2025-07-22",
    "ends_on": "2025-07-23",
    "motto": "Đoàn kết - Dân chủ - Kỷ cương - Đổi mới",
    "delegates_expected": "170",
    "members_represented": "7700",
}


WIDTH, HEIGHT = 640, 480


def write_y4m(path: Path, image: Image.Image, frames: int = 10) -> None:
    """A still picture as a 10 fps YUV 4:2:0 video: grey picture, no colour (U = V = 128)."""
    luma = image.convert("L").tobytes()
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)


def card_video(path: Path, payload: str) -> Path:
    """The card's QR code, on white with its quiet zone, in the middle of the camera frame,
    about 300 px wide: inside the centre region the scanner looks at."""
    symbol = Image.open(io.BytesIO(qr.render_qr(payload, "png", box_size=1)))
    modules = symbol.width
    symbol = symbol.resize((modules * (300 // modules),) * 2, Image.NEAREST)
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(symbol, ((WIDTH - symbol.width) // 2, (HEIGHT - symbol.height) // 2))
    write_y4m(path, frame)
    return path
