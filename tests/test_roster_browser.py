"""The roster pages in Debian's Chromium on a phone: import, list and search fit 360 px."""

from __future__ import annotations

import re

import pytest

from congress_app.config import ROOT
from congress_app.services import roster_import

from .roster_page_checks import _number
from .samples import ROWS, make_csv


@pytest.mark.browser
def test_the_roster_pages_fit_a_phone(live_server, phone, organiser, congress):
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    phone.goto(f"{live_server}/login")
    phone.fill("input[name=username]", "organiser")
    phone.fill("input[name=password]", "correct horse battery")
    phone.click("main button[type=submit]")

    phone.goto(f"{live_server}/organiser/delegates/import")
    unit = "Chi bộ Khu dân cư số 1, phường Thanh Xuân"
    phone.set_input_files("input[type=file]", files=[{
        "name": "roster.csv", "mimeType": "text/csv",
        "buffer": make_csv([*ROWS, ["4", "Phạm Văn Dũng", unit, "Tổ 1", "A-04", "Khách mời"]]),
    }])
    phone.click("main form.stack button[type=submit]")
    assert phone.get_by_role("heading", level=1).inner_text() == "Check the import"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("button", name=re.compile("^Import: 4 new")).first.click()
    assert "4 added, 0 changed" in phone.locator(".flash").inner_text()

    roster_import.apply_roster(congress, (ROOT / "seeds" / "delegates.csv").read_bytes())
    for path in ("/organiser/delegates/", "/organiser/delegates/?q=nguyen+van",
                 f"/organiser/delegates/{_number(congress, 4).id}"):
        phone.goto(live_server + path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path
