"""Góp ý from start to end, in Debian's Chromium at 360 × 740 (issue 15, "Proven"): a
delegate scans the draft's QR code, signs in with the card, reads the text, disagrees with
§ 5 giving a reason and a proposed wording, writes a second comment while the Wi-Fi is down
(sent once when it returns); the secretary answers both on the triage page, downloads the
compiled report (both comments in it, exactly, in Vietnamese) and adopts it as a congress
document, whose QR code, read from the printed PDF, opens the report's document page.

Clicks and form fills go through labels and roles (ids only to read § 5 and the outbox
box); the database is read to check what the server holds, never to act. PDFs are
rasterised with pypdfium2 (as the app itself does; no pdftoppm on the test machines) and
read with zxing-cpp, as tests/pdf_reading.py does.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from congress_app import qr
from congress_app.extensions import db
from congress_app.models import Comment, CommentTriage, DelegateKind
from congress_app.services import intake
from congress_app.services.comment_report import adoption_of
from congress_app.services.delegates import card_pin

from .browser import ARTIFACTS, wait_for_js
from .conftest import ORGANISER, add_delegate
from .pdf_reading import decoded_qr_codes, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sync_rendering")]

DRAFT_TITLE = "Dự thảo Nghị quyết Đại hội đại biểu Đảng bộ phường nhiệm kỳ 2025–2030"
SECTIONS = {
    "I. KẾT QUẢ THỰC HIỆN NGHỊ QUYẾT NHIỆM KỲ 2020–2025": [
        "Đảng bộ phường đã lãnh đạo thực hiện thắng lợi các chỉ tiêu chủ yếu của nhiệm kỳ.",
        "Công tác xây dựng Đảng được chú trọng; chất lượng sinh hoạt chi bộ được nâng lên.",
    ],
    "II. MỤC TIÊU, NHIỆM VỤ NHIỆM KỲ 2025–2030": [
        "Phát triển kinh tế số và đô thị thông minh trong quản lý nhà nước ở phường.",
        "Nâng cao chất lượng giáo dục, y tế; chăm lo đời sống người có công và hộ nghèo.",
        "Chỉnh trang đô thị, cải tạo hạ tầng giao thông và thoát nước trên địa bàn phường.",
    ],
    "III. GIẢI PHÁP THỰC HIỆN": [
        "Đổi mới phương thức lãnh đạo; phát huy vai trò nêu gương của cán bộ, đảng viên.",
        "Tăng cường kiểm tra, giám sát; siết chặt kỷ luật, kỷ cương hành chính.",
    ],
}
PARAGRAPHS = [p for texts in SECTIONS.values() for p in texts]
P5, P6 = PARAGRAPHS[4], PARAGRAPHS[5]
REASON = "Không tán thành vì chưa nêu rõ thời hạn xử lý dứt điểm các điểm ngập úng."
# The paragraph with words added only: the report's diff then reads exactly as below.
WORDING = P5.replace(" trên địa bàn", " và xử lý dứt điểm các điểm ngập úng trước năm 2027 "
                     "trên địa bàn")
WORDING_DIFF = ("Chỉnh trang đô thị, cải tạo hạ tầng giao thông và thoát nước {và xử lý dứt "
                "điểm các điểm ngập úng trước năm 2027} trên địa bàn phường.")
OFFLINE_TEXT = "Viết khi mất mạng: đề nghị nêu cụ thể việc kiểm tra, giám sát chi bộ."
ANSWER_5 = "Tiếp thu, bổ sung thời hạn vào Mục II của dự thảo."
ANSWER_6 = "Nội dung này đã được cụ thể hóa trong chương trình kiểm tra toàn khóa."
OUTBOX_EMPTY = "JSON.parse(localStorage.getItem('congress-outbox-v1') || '[]').length === 0"


@pytest.fixture
def journey_draft(congress):
    """A public draft resolution of seven paragraphs under three headings, a real PDF."""
    from weasyprint import HTML

    body = "".join(f"<h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in texts)
                   for heading, texts in SECTIONS.items())
    pdf = HTML(string=f"<html><body><h1>{DRAFT_TITLE}</h1>{body}</body></html>").write_pdf()
    return intake.create_document(
        congress, title=DRAFT_TITLE, category="draft_resolution",
        upload=intake.Upload(io.BytesIO(pdf), "du-thao-nghi-quyet.pdf"))


@pytest.fixture
def secretary(request, phone, live_server):
    """The secretary's laptop: a second, desktop-sized context of the phone's Chromium."""
    context = phone.context.browser.new_context(viewport={"width": 1280, "height": 900},
                                                locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-secretary.png"),
                        full_page=True)
    context.close()


def _shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"comments-journey-{name}.png"), full_page=full_page)


def _comments() -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).order_by(Comment.id)))


def _scan(png: bytes) -> list[str]:
    """What a phone's camera reads in the QR image the app serves."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return [code.text for code in zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _download(page, href: str) -> bytes:
    """A file behind a link, fetched with the page's own cookies (Chromium would show it)."""
    response = page.context.request.get(href)
    assert response.ok, (href, response.status)
    assert response.headers["content-type"].startswith("application/pdf")
    return response.body()


def _save_pages(pdf: bytes, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    try:
        for n, page in enumerate(document, start=1):
            page.render(scale=110 / 72).to_pil().save(
                Path(ARTIFACTS / f"comments-journey-{name}-{n}.png"))
            page.close()
    finally:
        document.close()


def _answer(page, comment_text: str, classification: str, response: str) -> None:
    """Classify one comment on the triage page and give the response."""
    entry = page.get_by_role("article").filter(has_text=comment_text)
    entry.get_by_label("Hình thức tiếp thu").select_option(label=classification)
    entry.get_by_label("Nội dung tiếp thu, giải trình").fill(response)
    entry.get_by_role("button", name="Lưu", exact=True).click()
    page.get_by_text(f": {classification}.").first.wait_for()


def test_a_delegate_comments_from_the_qr_code_and_the_adopted_report_scans_back(
        app, live_server, phone, secretary, congress, journey_draft, open_comments):
    # QR codes and stamps name the address the phones reach (the hall's server).
    app.config["PUBLIC_BASE_URL"] = live_server
    delegate = add_delegate(congress, number=35, full_name="Nguyễn Thị Lan",
                            discussion_group="Tổ 3", kind=DelegateKind.OFFICIAL)
    open_comments(journey_draft)
    code = journey_draft.code

    # 1. The delegate scans the draft's QR code (the image the app serves for it).
    qr_png = phone.context.request.get(f"{live_server}/d/{code}/qr.png")
    assert qr_png.ok and qr_png.headers["content-type"] == "image/png"
    [scanned] = _scan(qr_png.body())
    assert scanned == qr.qr_payload(live_server, code)
    phone.goto(scanned)
    assert phone.get_by_role("heading", level=1).inner_text() == DRAFT_TITLE

    # 2. Text mode, § 5, "Góp ý": the card's number and PIN first, then the form.
    phone.get_by_role("button", name="Văn bản").click()
    comment_on_5 = phone.get_by_role("link", name="Góp ý vào § 5")
    comment_on_5.wait_for()
    assert phone.locator("#p-5").inner_text().startswith(f"§ 5 {P5}")
    comment_on_5.scroll_into_view_if_needed()
    _shot(phone, "1-text-mode")
    comment_on_5.click()
    phone.wait_for_url("**/delegate/sign-in?next=**")
    phone.get_by_label("Số thứ tự đại biểu").fill(str(delegate.number))
    phone.get_by_label("Mã PIN (6 chữ số)").fill(card_pin(delegate))
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(f"**/d/{code}/comment/5")
    assert phone.get_by_role("heading", level=1).inner_text() == "Góp ý vào § 5"

    # 3. "Không tán thành", the reason, a proposed wording; sent.
    phone.get_by_label("Không tán thành", exact=True).check()
    phone.get_by_label("Nội dung góp ý (bắt buộc nếu không tán thành: nêu lý do)").fill(REASON)
    phone.get_by_label("Đề xuất sửa câu chữ của đoạn này (không bắt buộc)").fill(WORDING)
    _shot(phone, "2-disagree-form", full_page=True)
    phone.get_by_role("button", name="Gửi góp ý").click()
    phone.wait_for_url(f"**/d/{code}?mode=text#p-5")
    assert phone.get_by_text("Đã gửi ý kiến của bạn.").is_visible()
    wait_for_js(phone, OUTBOX_EMPTY)
    [first] = _comments()
    assert (first.paragraph, first.stance.value, first.text, first.proposed_wording,
            first.author_id) == (5, "disagree", REASON, WORDING, delegate.id)

    # 4. § 6 opened, then the Wi-Fi drops while writing: the comment waits on the phone.
    phone.get_by_role("link", name="Góp ý vào § 6").click()
    phone.wait_for_url(f"**/d/{code}/comment/6")
    phone.context.set_offline(True)
    phone.get_by_label("Đồng ý một phần", exact=True).check()
    phone.get_by_label("Nội dung góp ý (bắt buộc nếu không tán thành: nêu lý do)").fill(
        OFFLINE_TEXT)
    phone.get_by_role("button", name="Gửi góp ý").click()
    outbox = phone.locator("#outbox")
    outbox.wait_for(state="visible")
    assert "Ý kiến đang chờ gửi trên điện thoại này: 1." in outbox.inner_text()
    _shot(phone, "3-offline-waiting")
    assert len(_comments()) == 1

    phone.context.set_offline(False)  # back online: the outbox sends it, once
    wait_for_js(phone, "document.getElementById('outbox').textContent.indexOf("
                       "'đã được gửi: 1') !== -1", timeout=15000)
    wait_for_js(phone, OUTBOX_EMPTY)
    _shot(phone, "4-offline-sent")
    phone.goto(f"{live_server}/d/{code}?mode=text")  # reading on sends nothing again
    wait_for_js(phone, OUTBOX_EMPTY)
    comments = _comments()
    assert [(c.paragraph, c.stance.value, c.text) for c in comments] == [
        (5, "disagree", REASON), (6, "partly", OFFLINE_TEXT)]

    # 5. The secretary answers both on the triage page.
    secretary.goto(f"{live_server}/login?next=/organiser/comments/")
    secretary.get_by_label("Tên đăng nhập").fill(ORGANISER[0])
    secretary.get_by_label("Mật khẩu").fill(ORGANISER[1])
    secretary.get_by_role("button", name="Đăng nhập").click()
    secretary.wait_for_url("**/organiser/comments/")
    _answer(secretary, REASON, "Tiếp thu", ANSWER_5)
    _answer(secretary, OFFLINE_TEXT, "Giải trình", ANSWER_6)
    _shot(secretary, "5-triage", full_page=True)
    db.session.expire_all()
    answers = {t.comment.paragraph: (t.classification.value, t.response)
               for t in db.session.scalars(select(CommentTriage))}
    assert answers == {5: ("accepted", ANSWER_5), 6: ("explained", ANSWER_6)}

    # 6. The compiled report holds both, exactly, in Vietnamese, each once, no author named.
    report_link = secretary.get_by_role("link", name="Báo cáo tổng hợp (PDF)")
    compiled = _download(secretary, report_link.evaluate("a => a.href"))
    _save_pages(compiled, "6-compiled")
    text = pdf_text(compiled)
    # The title names the draft without repeating "Dự thảo".
    assert ("BÁO CÁO tổng hợp ý kiến góp ý vào dự thảo Nghị quyết Đại hội đại biểu Đảng bộ "
            "phường nhiệm kỳ 2025–2030") in text
    expected = [
        f"§ 5 {P5} Không tán thành (Số ý kiến: 1) {REASON}",
        f"{WORDING_DIFF} Tiếp thu, giải trình: Tiếp thu. {ANSWER_5}",
        f"§ 6 {P6} Đồng ý một phần (Số ý kiến: 1) {OFFLINE_TEXT} "
        f"Tiếp thu, giải trình: Giải trình. {ANSWER_6}",
    ]
    for fragment in expected:
        assert fragment in text, (fragment, text)
    assert text.index(expected[0]) < text.index(expected[1]) < text.index(expected[2])
    assert text.count(REASON) == 1 and text.count(OFFLINE_TEXT) == 1
    assert delegate.full_name not in text

    # 7. Adopted as a congress document.
    secretary.goto(f"{live_server}/organiser/comments/")
    secretary.get_by_role("link", name="Thông qua thành văn kiện đại hội").click()
    assert secretary.get_by_role("heading", level=1).inner_text() == (
        "Thông qua báo cáo tổng hợp thành văn kiện đại hội?")
    secretary.get_by_role("button", name="Thông qua", exact=True).click()
    secretary.wait_for_url("**/organiser/documents/*")
    db.session.expire_all()
    report = adoption_of(congress).document
    assert secretary.get_by_text(report.code).first.is_visible()
    _shot(secretary, "7-adopted")
    adopted = _download(secretary, f"{live_server}/d/{report.code}/file")
    assert all(fragment in pdf_text(adopted) for fragment in expected)

    # 8. Printed with its QR code (the print centre's stamped PDF), rasterised, scanned: the
    # phone opens the report's document page.
    secretary.goto(f"{live_server}/organiser/print/")
    card = secretary.locator("section").filter(
        has=secretary.get_by_role("heading", name="Tài liệu đóng dấu mã QR", exact=True))
    card.get_by_label("Tài liệu", exact=True).select_option(value=report.code)
    stamped_url = card.locator("form").evaluate(
        "f => f.action + '?' + new URLSearchParams(new FormData(f)).toString()")
    stamped = _download(secretary, stamped_url)
    _save_pages(stamped, "8-stamped")
    [payload] = decoded_qr_codes(stamped)
    assert payload == qr.qr_payload(live_server, report.code)
    phone.goto(payload)
    phone.wait_for_url(f"**/d/{report.code}")
    assert phone.get_by_role("heading", level=1).inner_text() == report.title
    _shot(phone, "9-report-page")
