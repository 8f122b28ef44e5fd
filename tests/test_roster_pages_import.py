"""Importing a roster file through the pages: preview, confirm, refusals, kept uploads."""

from __future__ import annotations

import io
import os
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from congress_app.services import delegates as delegate_service

from .roster_page_checks import _form, _number, _state, _text
from .samples import ROWS, cp1258, make_csv


def _imports_dir(app) -> Path:
    return Path(app.config["CACHE_DIR"]) / "imports"


def _kept_uploads(app) -> list[str]:
    folder = _imports_dir(app)
    return sorted(os.listdir(folder)) if folder.exists() else []


def _upload(auth, data: bytes, filename: str = "Danh sách đại biểu.csv"):
    """POST the file as a browser does. The body is built here: for a large file the test
    client would spool it to a temporary file that it never closes."""
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{auth.csrf_token()}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        f"\r\nContent-Type: text/csv\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return auth._client.post("/organiser/delegates/import", input_stream=io.BytesIO(body),
                             content_type=f"multipart/form-data; boundary={boundary}",
                             content_length=len(body), follow_redirects=True)


def _confirm_fields(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(token|plan)"[^>]*value="([^"]*)"', html))
    assert set(fields) == {"token", "plan"}, "no confirm button on the page"
    return fields


# Import ------------------------------------------------------------------------------


def test_importing_a_roster_previews_then_applies_on_confirm(app, client, signed_in, congress):
    data = make_csv()
    before = _state()
    preview = _upload(signed_in, data)
    assert preview.status_code == 200
    html = _text(preview)
    assert "Danh sách đại biểu.csv" in html
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"):
        assert name in html
    assert "3 delegates to add" in html
    assert "Columns read: Number, Full name, Unit, Discussion group, Seat, Kind." in html
    assert _state() == before  # nothing is written before confirm
    fields = _confirm_fields(html)
    assert _kept_uploads(app) == [f"{fields['token']}.csv"]

    confirmed = signed_in.post("/organiser/delegates/import/confirm", fields)
    assert confirmed.status_code == 302
    assert urlsplit(confirmed.headers["Location"]).path == "/organiser/delegates/"
    roster_page = _text(client.get("/organiser/delegates/"))
    assert "The roster file has been imported: 3 added, 0 changed, 0 unchanged." in roster_page
    assert "Lê Hoàng Cường" in roster_page
    assert _number(congress, 2).unit == "Đảng bộ Công an phường"
    assert _kept_uploads(app) == []  # the kept file is gone once applied

    again = signed_in.post("/organiser/delegates/import/confirm", fields)
    assert again.status_code == 410  # a second press of the same button does nothing
    assert "already confirmed" in _text(again)

    after = _state()
    same = _upload(signed_in, data)
    assert same.status_code == 200
    assert "Nothing to change: the roster already matches this file." in _text(same)
    assert 'name="token"' not in _text(same)
    assert _kept_uploads(app) == []
    assert _state() == after


def test_a_changed_file_shows_old_and_new_values(client, signed_in, roster):
    changed = make_csv([ROWS[0], ["2", "Trần Thị Bình", "Chi bộ Trạm Y tế phường", "Tổ 2",
                                  "A-02", "Dự khuyết"], ["4", "Phạm Văn Dũng", "", "", "", ""]])
    html = _text(_upload(signed_in, changed))
    assert "1 delegate to change" in html
    assert ("Unit: <del>Đảng bộ Công an phường</del> → <ins>Chi bộ Trạm Y tế phường</ins>"
            in html)
    assert "1 delegate to add" in html
    assert "1 delegate of the roster is not in this file" in html
    assert "3. Lê Hoàng Cường" in html
    assert signed_in.post("/organiser/delegates/import/confirm",
                          _confirm_fields(html)).status_code == 302
    assert _number(roster, 2).unit == "Chi bộ Trạm Y tế phường"
    assert _number(roster, 3) is not None  # not in the file, still in the roster


def test_a_file_with_rejected_rows_cannot_be_confirmed(app, client, signed_in, congress):
    data = make_csv([*ROWS, ["4", '=HYPERLINK("http://x")', "", "", "", ""],
                     ["2", "Phạm Văn Dũng", "", "", "", ""]])
    before = _state()
    response = _upload(signed_in, data)
    assert response.status_code == 422
    html = _text(response)
    assert "2 rows of the file have problems." in html
    assert "Nothing can be imported while any row is rejected" in html
    assert "Row 5" in html and "a cell may not start with =" in html
    assert "Row 6" in html and "The number 2 is already used on row 3." in html
    assert "HYPERLINK" not in html
    assert 'name="token"' not in html
    assert _kept_uploads(app) == []
    assert _state() == before


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"", 400, "The file is empty."),
        (cp1258("STT;Họ và tên\r\n1;Nguyễn Văn An\r\n"), 400, "“CSV UTF-8"),
        (b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n", 400, "not in UTF-8"),
        (make_csv(header=["Tên", "Đơn vị"], rows=[["A", "B"]]), 400, "this file lacks"),
        (make_csv() + b"x" * (2 * 1024 * 1024), 413, "larger than 2 MB"),
        (make_csv(rows=[[str(n), f"Đại biểu {n}"] for n in range(1, 5002)],
                  header=["STT", "Họ và tên"]), 400, "more than 5000 delegates"),
    ],
    ids=["empty", "cp1258", "pdf", "no-header", "over-2-mb", "5001-rows"],
)
def test_a_file_refused_whole_shows_why_and_changes_nothing(app, client, signed_in, congress,
                                                            data, status, message):
    before = _state()
    response = _upload(signed_in, data)
    assert response.status_code == status
    html = _text(response)
    assert message in html.replace("&#34;", '"')
    assert 'enctype="multipart/form-data"' in html  # the upload form, to try again
    assert _kept_uploads(app) == []
    assert _state() == before


def test_the_upload_form_needs_a_file(client, signed_in, congress):
    response = signed_in.post("/organiser/delegates/import", {},
                              content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose the CSV file to import." in _text(response)


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"token": "../../../etc/passwd", "plan": "0" * 64}, 400),
        ({"token": "cCID-" + "A" * 32, "plan": "0" * 64}, 400),
        ({"token": "cCID-" + "0" * 32, "plan": "x"}, 400),
        ({"token": "cCID-" + "0" * 32, "plan": "0" * 64}, 410),
    ],
    ids=["path", "upper-case", "bad-plan", "unknown"],
)
def test_confirm_refuses_tokens_it_did_not_hand_out(client, signed_in, congress, fields,
                                                    status):
    before = _state()
    fields = {key: value.replace("CID", str(congress.id)) for key, value in fields.items()}
    response = signed_in.post("/organiser/delegates/import/confirm", fields)
    assert response.status_code == status
    assert _state() == before


def test_confirm_without_the_csrf_token_is_refused(app, client, signed_in, congress):
    fields = _confirm_fields(_text(_upload(signed_in, make_csv())))
    before = _state()
    response = client.post("/organiser/delegates/import/confirm", data=fields)
    assert response.status_code == 400
    assert _state() == before
    assert len(_kept_uploads(app)) == 1  # still there for a proper confirm


def test_confirming_after_the_roster_changed_shows_the_new_preview(client, signed_in,
                                                                   congress):
    fields = _confirm_fields(_text(_upload(signed_in, make_csv())))
    delegate_service.create_delegate(congress, number=2, full_name="Người Khác", unit="",
                                   discussion_group="", seat="", kind="official")
    before = _state()
    response = signed_in.post("/organiser/delegates/import/confirm", fields)
    assert response.status_code == 409
    html = _text(response)
    assert "The roster changed after this preview was made" in html
    assert "2 delegates to add" in html and "1 delegate to change" in html
    assert _state() == before
    fresh = _confirm_fields(html)
    assert fresh["token"] == fields["token"] and fresh["plan"] != fields["plan"]
    assert signed_in.post("/organiser/delegates/import/confirm", fresh).status_code == 302
    assert _number(congress, 2).full_name == "Trần Thị Bình"


def test_kept_uploads_older_than_a_day_are_removed(app, client, signed_in, congress):
    folder = _imports_dir(app)
    folder.mkdir(parents=True)
    mine = f"c{congress.id}-"
    old, recent = folder / f"{mine}{'a' * 32}.csv", folder / f"{mine}{'b' * 32}.csv"
    for path in (old, recent):
        path.write_bytes(make_csv())
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    _upload(signed_in, make_csv())
    assert not old.exists() and recent.exists()
    response = signed_in.post("/organiser/delegates/import/confirm",
                              {"token": f"{mine}{'a' * 32}", "plan": "0" * 64})
    assert response.status_code == 410


# The file's text, and Back after confirming ------------------------------------------


def test_text_from_the_file_is_shown_as_text_never_as_html(client, signed_in, congress):
    script = "<script>alert(1)</script>"
    data = make_csv([["1", f"Nguyễn {script}", "", "", "", ""],
                     ["2", "Trần Thị Bình", "", "", "", script],
                     [f"3{script}", "Lê Hoàng Cường", "", "", "", ""]])
    html = _text(_upload(signed_in, data, filename=f"{script}.csv"))
    assert script not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4
    assert "Unknown kind “&lt;script&gt;" in html

    delegate_service.create_delegate(congress, number=1, full_name=f"Nguyễn {script}", unit="",
                                   discussion_group="", seat="", kind="official")
    response = signed_in.post("/organiser/delegates/new", _form(number="1"))
    assert response.status_code == 409
    assert script not in _text(response)
    assert "already taken by Nguyễn &lt;script&gt;" in _text(response)


def test_back_after_confirming_an_import_reloads_a_page_instead_of_resending_the_form(
        app, client, signed_in, congress):
    """The upload answers with a redirect to the preview (post/redirect/get): Back from the
    roster after confirming comes to a GET page, which now says the file was imported."""
    html_client = signed_in._client
    data = make_csv()
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{signed_in.csrf_token()}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ds.csv"'
        f"\r\nContent-Type: text/csv\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    upload = html_client.post("/organiser/delegates/import", input_stream=io.BytesIO(body),
                              content_type=f"multipart/form-data; boundary={boundary}",
                              content_length=len(body))
    assert upload.status_code == 303
    preview_url = upload.headers["Location"]
    assert urlsplit(preview_url).path.startswith("/organiser/delegates/import/")
    preview = client.get(preview_url)
    assert preview.status_code == 200 and "ds.csv" in _text(preview)
    assert "3 delegates to add" in _text(preview)
    assert signed_in.post("/organiser/delegates/import/confirm",
                          _confirm_fields(_text(preview))).status_code == 302
    back = client.get(preview_url)  # the browser's Back: a plain reload of a GET page
    assert back.status_code == 410 and "already confirmed" in _text(back)
    assert client.get("/organiser/delegates/import/not-a-token").status_code == 400
    other = f"c{congress.id + 1}-{urlsplit(preview_url).path.rsplit('-', 1)[1]}"
    assert client.get(f"/organiser/delegates/import/{other}").status_code == 404
