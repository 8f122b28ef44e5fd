"""Error pages lead with words: a heading that says what happened, the advice, the code last;
and the delegate sign-in link is a thumb's height on the phone."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.database_agnostic


def test_a_404_leads_with_words_and_ends_with_the_code(client, congress):
    html = client.get("/d/ZZZZZZ").get_data(as_text=True)
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()
    assert heading == "Không tìm thấy"
    assert "<title>Không tìm thấy" in html
    assert html.index("<h1>") < html.index("Mã lỗi 404")
    client.set_cookie("lang", "en")
    english = client.get("/d/ZZZZZZ").get_data(as_text=True)
    assert re.search(r"<h1>\s*Not found\s*</h1>", english) and "Error code 404" in english


@pytest.mark.browser
def test_the_delegate_sign_in_link_is_a_thumbs_height(live_server, phone, congress):
    phone.goto(f"{live_server}/")
    box = phone.locator(".sign-in-links a").first.bounding_box()
    assert box is not None and box["height"] >= 44, box

