"""The audit log reads as sentences in the viewer's language, never raw keys or Python values;
every action the code records has its sentence (the walk below fails on a new one without)."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import UTC, datetime

import pytest

from congress_app.config import ROOT
from congress_app.extensions import db
from congress_app.models import Role
from congress_app.services import audit as audit_service
from congress_app.web.audit_sentences import SENTENCES, sentence

ACTION = re.compile(r"[a-z]+\.[a-z_]+")
# The calls that name an action: the audit service's, and the helpers that pass one on.
AUDIT_CALLS = frozenset({"record", "commit", "_commit", "_commit_move"})


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def recorded_actions() -> dict[str, str]:
    """Every action string the app's code passes to an audit call, with where it is."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "congress_app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body
                     if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                     and isinstance(node.value.value, str)
                     for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in AUDIT_CALLS):
                continue
            for arg in node.args:
                for leaf in ast.walk(arg):
                    value = None
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str):
                        value = leaf.value
                    elif isinstance(leaf, ast.Name) and leaf.id in constants:
                        value = constants[leaf.id]
                    if value is not None and ACTION.fullmatch(value):
                        found.setdefault(value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_walk_finds_actions_however_they_are_passed():
    found = recorded_actions()
    assert {"delegate.checkin", "delegate.checkin_undo",  # audit.record(user, "…", …)
            "delegate.deactivate", "delegate.reactivate",  # "a" if active else "b"
            "congress.purge",  # PURGE_ACTION
            "session.move", "item.move_document",  # _commit_move(…, "…", …)
            "delegate.update",  # roster's _commit(user, "…", …)
            "stage.set", "audit.export"} <= set(found)
    assert len(found) >= 40


def test_every_recorded_action_has_a_sentence():
    """A new audited action needs its sentence in congress_app/web/audit_sentences.py
    (SENTENCES), with its Vietnamese in the vi catalog."""
    missing = {action: where for action, where in recorded_actions().items()
               if action not in SENTENCES}
    assert not missing, f"no sentence in web/audit_sentences.py SENTENCES for: {missing}"


@pytest.fixture
def admin(sign_in_as, congress):
    return sign_in_as(Role.ADMIN, "admin", lang=None)


def _event(action: str, **detail):
    event = audit_service.record(None, action, None, **detail)
    event.at = datetime(2025, 7, 22, 1, 0, tzinfo=UTC)
    db.session.commit()
    return event


PYTHON_LOOKS = re.compile(r"True|False|None|\[|\]|\{|\}|'|=|_[a-z]")


def _details_cells(html: str) -> list[str]:
    return re.findall(r'<td class="audit-detail">(.*?)</td>', html, re.S)


def test_the_page_shows_vietnamese_sentences(client, admin):
    client.set_cookie("lang", "vi")
    _event("delegate.update", number=2, changed=["discussion_group"])
    _event("document.update", title="Báo cáo chính trị", visibility="delegates",
           published=True)
    _event("document.update", title="Dự thảo", visibility="public", published=False)
    _event("roster.import", added=[1, 2], changed={"2": ["discussion_group", "unit"]},
           unchanged=3)
    _event("congress.update", changed=["delegates_expected", "venue"])
    _event("delegate.checkin", number=5, method="number")
    _event("delegate.checkin_undo", number=5, method="scan",
           checked_in_at="2025-07-22T00:42:00+00:00")
    html = client.get("/organiser/audit").get_data(as_text=True)
    cells = [c.replace("&#34;", '"') for c in _details_cells(html)]
    assert "Đã sửa đại biểu số 2: tổ thảo luận" in cells
    assert "Đã công bố tài liệu “Báo cáo chính trị” (Chỉ đại biểu)" in cells
    assert "Đã lưu tài liệu “Dự thảo”, chưa công bố (Công khai)" in cells
    assert ("Đã nhập danh sách đại biểu: thêm số 1, 2; sửa số 2: tổ thảo luận, đơn vị; "
            "3 đại biểu không đổi") in cells
    assert "Đã sửa thông tin đại hội: số đại biểu được triệu tập, địa điểm" in cells
    assert "Đã điểm danh đại biểu số 5 (nhập số)" in cells
    assert any(c.startswith("Đã hủy điểm danh của đại biểu số 5") and "07:42" in c
               for c in cells)
    for cell in cells:
        assert not PYTHON_LOOKS.search(cell), cell


def test_english_and_the_csv_read_the_same_sentences(client, admin):
    client.set_cookie("lang", "en")
    _event("delegate.update", number=2, changed=["discussion_group"])
    _event("cards.print", count=12, layout="a4", pin=True, group="", without_checkin=False)
    html = client.get("/organiser/audit").get_data(as_text=True)
    cells = _details_cells(html)
    assert "Changed delegate No. 2: discussion group" in cells
    assert ("Printed 12 delegate cards · layout: a4 · with PIN: yes · discussion group: — · "
            "only those not checked in: no") in cells
    body = client.get("/organiser/audit.csv?action=delegate.update").get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][6:] == ["Details", "Details (data)"]
    assert rows[1][6:] == ["Changed delegate No. 2: discussion group",
                           '{"number": 2, "changed": ["discussion_group"]}']


def test_an_unknown_action_still_reads_humanly(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        text = sentence("ballot.count_cast", {"valid": True, "rounds": [1, 2],
                                              "by_unit": {"Chi bộ 1": 3}, "note": None})
    assert text == "Ballot count cast · valid: yes · rounds: 1, 2 · by unit: Chi bộ 1: 3 · note: —"


def test_an_old_row_missing_a_detail_does_not_break_the_sentence(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert sentence("delegate.update", {}) == "Changed delegate No. —: —"
        assert sentence("document.update", {"title": "X"}) == "Changed the document “X”"


def test_a_deleted_congress_reads_as_one_sentence_with_its_counts(app):
    detail = {"slug": "phuong-a", "title": "Đại hội Đảng bộ phường A", "congress_id": 3,
              "accounts_deleted": ["bttc-a"], "sessions": 2, "agenda_items": 9,
              "documents": 5, "versions": 6, "delegates": 120, "checkins": 100,
              "audit_events": 400}
    with app.test_request_context(headers={"Cookie": "lang=vi"}):
        text = sentence("congress.delete", detail)
    assert text.startswith("Đã xóa đại hội “Đại hội Đảng bộ phường A” (phuong-a): 5 tài liệu, "
                           "120 đại biểu, 100 lượt điểm danh; tài khoản bị xóa theo: bttc-a")
    assert "phiên họp: 2" in text and "mục chương trình: 9" in text
    assert not PYTHON_LOOKS.search(text), text
