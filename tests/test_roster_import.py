"""The roster import service: CSV files as Excel writes them, preview, all-or-nothing apply."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import func, select

from congress_app.config import ROOT
from congress_app.extensions import db
from congress_app.models import AuditEvent, Delegate, DelegateKind
from congress_app.services import delegates as delegate_service
from congress_app.services import roster_import
from congress_app.services.errors import InputRefused
from congress_app.services.roster_import import RowStatus

from .roster_checks import _count, _delegate, _state
from .samples import EN_HEADER, ROWS, cp1258, make_csv


def _messages(row) -> str:
    return " ".join(str(p) for p in row.problems)


# Files that are read -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        make_csv(),
        make_csv(bom=False),
        make_csv(sep=","),
        make_csv(sep=",", bom=False, newline="\n"),
        make_csv(header=EN_HEADER, sep=","),
        make_csv(header=["  stt ", "HỌ VÀ TÊN", "don vi", "To thao  luan", "GHẾ", "loai"]),
        make_csv(header=["No.", "Full Name", "UNIT", "Discussion Group", "seat", "KIND"]),
        make_csv(newline="\r\n") + b"\r\n\r\n",  # Excel's trailing empty rows
    ],
    ids=["bom-semicolon-crlf", "no-bom", "comma", "comma-no-bom-lf", "english-headers",
         "vi-headers-any-case-and-spacing", "en-headers-any-case", "trailing-blank-lines"],
)
def test_files_as_excel_writes_them_are_read(congress, english, data):
    preview = roster_import.preview_roster(congress, data)
    assert [row.status for row in preview.rows] == [RowStatus.ADD] * 3
    first = preview.rows[0]
    assert first.number == 1
    assert first.values == {"full_name": "Nguyễn Văn An", "unit": "Chi bộ Khu dân cư số 1",
                            "discussion_group": "Tổ 1", "seat": "A-01", "kind": "official"}
    assert [row.values["kind"] for row in preview.rows] == ["official", "alternate", "guest"]
    assert preview.can_apply


def test_quoted_cells_keep_their_separators_and_line_breaks(congress, english):
    rows = [["1", "Nguyễn Văn An", "Chi bộ 1, phường Thanh Xuân", "Tổ 1", "A-01", ""],
            ["2", 'Trần Thị "Bình"', "Chi bộ\nKhu dân cư số 2", "Tổ 2", "A-02", ""]]
    preview = roster_import.preview_roster(congress, make_csv(rows, sep=","))
    assert [row.status for row in preview.rows] == [RowStatus.ADD, RowStatus.ADD]
    assert preview.rows[0].values["unit"] == "Chi bộ 1, phường Thanh Xuân"
    assert preview.rows[1].values["full_name"] == 'Trần Thị "Bình"'
    assert preview.rows[1].values["unit"] == "Chi bộ Khu dân cư số 2"  # the line break
    assert preview.rows[1].line == 3  # the row number Excel shows


def test_text_is_stored_as_nfc_with_single_spaces(congress, english):
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn   An ")
    preview = roster_import.preview_roster(congress, make_csv([["1", decomposed, "", "", "", ""]]))
    assert preview.rows[0].values["full_name"] == "Nguyễn Văn An"
    assert unicodedata.is_normalized("NFC", preview.rows[0].values["full_name"])


@pytest.mark.parametrize(
    ("written", "kind"),
    [("", "official"), ("Chính thức", "official"), ("CHINH THUC", "official"),
     ("official", "official"), ("Đại biểu chính thức", "official"), ("dự khuyết", "alternate"),
     ("Du Khuyet", "alternate"), ("Alternate", "alternate"), ("Khách mời", "guest"),
     ("khach moi", "guest"), ("GUEST", "guest")],
)
def test_kinds_are_matched_without_case_or_diacritics(congress, english, written, kind):
    preview = roster_import.preview_roster(
        congress, make_csv([["1", "Nguyễn Văn An", "", "", "", written]]))
    assert preview.rows[0].values["kind"] == kind


def test_a_file_without_a_kind_column_adds_official_delegates(congress, english):
    data = make_csv([["1", "Nguyễn Văn An"]], header=["STT", "Họ và tên"])
    preview = roster_import.preview_roster(congress, data)
    assert preview.rows[0].values == {"full_name": "Nguyễn Văn An", "kind": "official"}
    roster_import.apply_roster(congress, preview)
    assert _delegate(congress, 1).kind == DelegateKind.OFFICIAL


# Rows that are rejected --------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["4", "", "Chi bộ 1", "", "", ""], "The full name is missing."),
        (["", "Phạm Văn Dũng", "", "", "", ""], "The number (STT) is missing."),
        (["4a", "Phạm Văn Dũng", "", "", "", ""], "must be a whole number from 1 to 99999"),
        (["0", "Phạm Văn Dũng", "", "", "", ""], "must be a whole number from 1 to 99999"),
        (["4.5", "Phạm Văn Dũng", "", "", "", ""], "must be a whole number"),
        (["٤", "Phạm Văn Dũng", "", "", "", ""], "must be a whole number"),
        (["4", "Phạm Văn Dũng", "", "", "", "Đại biểu VIP"], "Unknown kind “Đại biểu VIP”"),
        (["4", '=HYPERLINK("http://x")', "", "", "", ""], "a cell may not start with ="),
        (["4", "Phạm Văn Dũng", "+84 912", "", "", ""], "a cell may not start with ="),
        (["4", "Phạm Văn Dũng", "-1", "", "", ""], "a cell may not start with ="),
        (["4", "Phạm Văn Dũng", "@SUM(A1)", "", "", ""], "a cell may not start with ="),
        (["4", "Phạm Văn Dũng", "  =1+1", "", "", ""], "a cell may not start with ="),
        (["4", "\tPhạm Văn Dũng", "", "", "", ""], "a cell may not start with ="),
        (["4", "\rPhạm Văn Dũng", "", "", "", ""], "a cell may not start with ="),
        (["=4", "Phạm Văn Dũng", "", "", "", ""], "a cell may not start with ="),
        (["4", "Phạm Văn Dũng\u200b", "", "", "", ""], "invisible character"),
        (["4", "P" * 201, "", "", "", ""], "Full name is too long (at most 200 characters)"),
        (["4", "Phạm Văn Dũng", "Đ" * 301, "", "", ""], "Unit is too long"),
        (["4", "Phạm Văn Dũng", "", "T" * 101, "", ""], "Discussion group is too long"),
        (["4", "Phạm Văn Dũng", "", "", "A" * 21, ""], "Seat is too long"),
        (["4", "Phạm", "Văn Dũng", "Chi bộ 1", "Tổ 1", "A-01", "Chính thức"],
         "more cells than the header row"),
    ],
    ids=["no-name", "no-number", "non-numeric-number", "zero", "decimal", "arabic-digit",
         "unknown-kind", "hyperlink-formula", "plus", "minus", "at", "formula-after-spaces",
         "tab", "carriage-return", "formula-number", "zero-width-space", "long-name",
         "long-unit", "long-group", "long-seat", "unquoted-separator"],
)
def test_bad_rows_are_rejected_with_a_reason(congress, english, row, message):
    preview = roster_import.preview_roster(congress, make_csv([*ROWS, row]))
    bad = preview.rows[-1]
    assert bad.status == RowStatus.REJECTED
    assert bad.line == 5
    assert message in _messages(bad)
    assert [row.status for row in preview.rows[:3]] == [RowStatus.ADD] * 3
    assert not preview.can_apply
    if "=" in message:  # formula text is never kept, not even for the preview
        assert not any(str(v).lstrip().startswith(("=", "+", "-", "@", "\t", "\r"))
                       for r in preview.rows for v in r.values.values())


def test_a_number_used_twice_in_the_file_is_rejected_on_its_second_row(congress, english):
    preview = roster_import.preview_roster(
        congress, make_csv([*ROWS, ["2", "Phạm Văn Dũng", "", "", "", ""]]))
    assert [row.status for row in preview.rows] == [RowStatus.ADD] * 3 + [RowStatus.REJECTED]
    assert "The number 2 is already used on row 3." in _messages(preview.rows[3])


def test_a_row_with_several_problems_lists_them_all(congress, english):
    preview = roster_import.preview_roster(
        congress, make_csv([["x", "", "", "", "", "VIP"]]))
    text = _messages(preview.rows[0])
    assert "must be a whole number" in text
    assert "full name is missing" in text
    assert "Unknown kind" in text


# Files that are refused whole --------------------------------------------------------


def _header_only() -> bytes:
    return make_csv(rows=[])


def _too_many_rows() -> bytes:
    rows = [[str(n), f"Đại biểu {n}", "", "", "", ""] for n in range(1, 5002)]
    return make_csv(rows)


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"", 400, "The file is empty."),
        (b"\xef\xbb\xbf", 400, "The file is empty."),
        (b"\r\n ; ;\r\n\r\n", 400, "The file is empty."),
        (cp1258("STT;Họ và tên\r\n1;Nguyễn Văn An\r\n"), 400, "not in UTF-8"),
        (b"STT;H\xe7 v\xe0 t\xean\r\n1;Nguy\xean\r\n", 400, "not in UTF-8"),
        (make_csv().decode("utf-8").encode("utf-16"), 400, "not in UTF-8"),
        (make_csv(header=["STT", "Đơn vị", "Ghế"], rows=[["1", "x", "y"]]), 400,
         "this file lacks: Full name"),
        (make_csv(header=["Tên", "Đơn vị"], rows=[["A", "x"]]), 400,
         "this file lacks: Number, Full name"),
        ("1;Nguyễn Văn An;Chi bộ 1\r\n".encode(), 400, "this file lacks: Number, Full name"),
        (make_csv(header=["STT", "Họ và tên", "Họ tên"], rows=[["1", "a", "b"]]), 400,
         "appears twice"),
        (_header_only(), 400, "no delegates under it"),
        (_too_many_rows(), 400, "more than 5000 delegates"),
        (make_csv() + b"x" * (2 * 1024 * 1024), 413, "larger than 2 MB"),
        (b'STT,"H\xc3\xb4\n' + b"x" * 200_000 + b"\n", 400, "could not be read as CSV"),
    ],
    ids=["empty", "bom-only", "blank-lines", "cp1258", "latin-1", "utf-16", "no-name-column",
         "no-required-columns", "no-header-row", "duplicate-column", "header-only",
         "5001-rows", "over-2-mb", "runaway-quote"],
)
def test_bad_files_are_refused_whole_and_change_nothing(congress, english, data, status,
                                                        message):
    before = _state()
    with pytest.raises(InputRefused) as refused:
        roster_import.preview_roster(congress, data)
    assert refused.value.status == status
    assert refused.value.field == "file"
    assert message in str(refused.value.message)
    with pytest.raises(InputRefused):
        roster_import.apply_roster(congress, data)
    assert _state() == before


def test_the_largest_allowed_file_is_previewed(congress, english):
    """How fast: `make bench` (roster: preview of the largest file)."""
    rows = [[str(n), f"Nguyễn Văn {n}", "Chi bộ Khu dân cư số 1", "Tổ 1", f"A-{n}", ""]
            for n in range(1, 5001)]
    preview = roster_import.preview_roster(congress, make_csv(rows))
    assert len(preview.to_add) == 5000


# Preview, apply, re-import -----------------------------------------------------------


def test_the_preview_writes_nothing(congress, english):
    before = _state()
    preview = roster_import.preview_roster(congress, make_csv())
    assert len(preview.to_add) == 3
    db.session.commit()  # even a commit afterwards finds nothing pending
    assert _state() == before
    assert _count(Delegate) == 0


def test_applying_adds_delegates_with_working_cards(congress, english):
    result = roster_import.apply_roster(congress, make_csv(), None)
    assert (result.added, result.changed, result.unchanged) == (3, 0, 0)
    an = _delegate(congress, 1)
    assert (an.full_name, an.unit, an.discussion_group, an.seat, an.kind) == (
        "Nguyễn Văn An", "Chi bộ Khu dân cư số 1", "Tổ 1", "A-01", DelegateKind.OFFICIAL)
    assert an.active and an.search_name == "nguyen van an chi bo khu dan cu so 1"
    assert _delegate(congress, 3).kind == DelegateKind.GUEST
    for number in (1, 2, 3):
        delegate = _delegate(congress, number)
        token = delegate_service.card_token(delegate)
        assert delegate_service.delegate_by_token(token) == delegate
        assert delegate_service.check_pin(congress, number, delegate_service.card_pin(delegate))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roster.import"))
    assert [e.detail for e in events] == ['{"added": [1, 2, 3], "changed": {}, "unchanged": 0}']


def test_importing_the_same_file_again_changes_nothing(congress, english):
    data = make_csv()
    roster_import.apply_roster(congress, data)
    before = _state()
    preview = roster_import.preview_roster(congress, data)
    assert [row.status for row in preview.rows] == [RowStatus.UNCHANGED] * 3
    assert not preview.has_changes and not preview.can_apply
    result = roster_import.apply_roster(congress, data)
    assert (result.added, result.changed, result.unchanged) == (0, 0, 3)
    assert _state() == before  # no rows touched, no audit event
    # The same people saved by another spreadsheet program are the same too.
    assert not roster_import.preview_roster(
        congress, make_csv(header=EN_HEADER, sep=",", bom=False, newline="\n")).has_changes


def test_a_changed_row_shows_old_and_new_and_updates_only_that_delegate(congress, english):
    roster_import.apply_roster(congress, make_csv())
    token_before = _delegate(congress, 2).token_hash
    moved = ["2", "Trần Thị Bình", "Chi bộ Trạm Y tế phường", "Tổ 2", "B-07", "chính thức"]
    rows = [ROWS[0], moved, ROWS[2]]
    preview = roster_import.preview_roster(congress, make_csv(rows))
    assert [row.status for row in preview.rows] == [
        RowStatus.UNCHANGED, RowStatus.CHANGE, RowStatus.UNCHANGED]
    changes = {(c.field, c.old, c.new) for c in preview.rows[1].changes}
    assert changes == {("unit", "Đảng bộ Công an phường", "Chi bộ Trạm Y tế phường"),
                       ("seat", "A-02", "B-07"), ("kind", "alternate", "official")}
    unchanged_before = [_state()[0][0], _state()[0][2]]

    result = roster_import.apply_roster(congress, preview, None)
    assert (result.added, result.changed, result.unchanged) == (0, 1, 2)
    binh = _delegate(congress, 2)
    assert (binh.unit, binh.seat, binh.kind) == ("Chi bộ Trạm Y tế phường", "B-07",
                                                 DelegateKind.OFFICIAL)
    assert binh.search_name == "tran thi binh chi bo tram y te phuong"
    assert binh.token_hash == token_before  # the printed card keeps working
    assert [_state()[0][0], _state()[0][2]] == unchanged_before
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roster.import")
                               .order_by(AuditEvent.id.desc())).first()
    assert '"changed": {"2": ["unit", "seat", "kind"]}' in event.detail


def test_columns_left_out_of_the_file_are_kept(congress, english):
    roster_import.apply_roster(congress, make_csv())
    renamed = make_csv([["1", "Nguyễn Văn Ân"]], header=["STT", "Họ và tên"])
    preview = roster_import.preview_roster(congress, renamed)
    assert [(c.field, c.old, c.new) for c in preview.rows[0].changes] == [
        ("full_name", "Nguyễn Văn An", "Nguyễn Văn Ân")]
    roster_import.apply_roster(congress, renamed)
    an = _delegate(congress, 1)
    assert (an.full_name, an.unit, an.seat) == ("Nguyễn Văn Ân", "Chi bộ Khu dân cư số 1", "A-01")
    # an empty cell in a column that is there does clear the value
    roster_import.apply_roster(congress, make_csv([["1", "Nguyễn Văn Ân", ""]],
                                                   header=["STT", "Họ và tên", "Đơn vị"]))
    assert _delegate(congress, 1).unit == ""


def test_delegates_missing_from_a_new_file_are_reported_and_kept(congress, english):
    roster_import.apply_roster(congress, make_csv())
    data = make_csv([ROWS[0], ["4", "Phạm Văn Dũng", "", "", "", ""]])
    preview = roster_import.preview_roster(congress, data)
    assert preview.missing == [(2, "Trần Thị Bình"), (3, "Lê Hoàng Cường")]
    roster_import.apply_roster(congress, data)
    assert _count(Delegate) == 4
    assert _delegate(congress, 2).active


def test_a_file_with_a_rejected_row_is_not_applied_at_all(congress, english):
    roster_import.apply_roster(congress, make_csv())
    before = _state()
    data = make_csv([["1", "Nguyễn Văn Ân", "", "", "", ""], ["4", "Phạm Văn Dũng", "", "", "", ""],
                     ["5", "", "", "", "", ""]])
    with pytest.raises(InputRefused) as refused:
        roster_import.apply_roster(congress, data)
    assert "Nothing was imported: 1 row of the file has a problem" in str(refused.value.message)
    assert _state() == before


def test_a_failure_half_way_leaves_the_roster_as_it_was(congress, english, monkeypatch):
    roster_import.apply_roster(congress, make_csv(ROWS[:1]))
    before = _state()
    calls = []
    original = delegate_service.issue_credentials

    def failing(delegate):
        calls.append(delegate.number)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        original(delegate)

    monkeypatch.setattr(delegate_service, "issue_credentials", failing)
    changed = make_csv([["1", "Nguyễn Văn Ân", "", "", "", ""], *ROWS[1:]])
    with pytest.raises(RuntimeError):
        roster_import.apply_roster(congress, changed)
    assert calls == [2, 3]
    assert _state() == before


def test_confirming_a_preview_after_the_roster_changed_applies_nothing(congress, english):
    preview = roster_import.preview_roster(congress, make_csv())
    delegate_service.create_delegate(congress, number=2, full_name="Người Khác", unit="",
                                   discussion_group="", seat="", kind="official")
    before = _state()
    with pytest.raises(InputRefused) as refused:
        roster_import.apply_roster(congress, make_csv(), expected=preview.fingerprint)
    assert refused.value.status == 409
    assert _state() == before
    fresh = roster_import.preview_roster(congress, make_csv())
    assert [row.status for row in fresh.rows] == [RowStatus.ADD, RowStatus.CHANGE, RowStatus.ADD]
    roster_import.apply_roster(congress, make_csv(), expected=fresh.fingerprint)
    assert _delegate(congress, 2).full_name == "Trần Thị Bình"


def test_the_demo_roster_file_is_a_valid_roster(congress, english):
    data = (ROOT / "seeds" / "delegates.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfSTT;H")
    text = data.decode("utf-8-sig")
    assert unicodedata.is_normalized("NFC", text)
    assert "\r\n" in text
    preview = roster_import.preview_roster(congress, data)
    assert not preview.rejected
    kinds = [row.values["kind"] for row in preview.rows]
    assert (kinds.count("official"), kinds.count("alternate"), kinds.count("guest")) == (168, 6, 6)
    officials = [row for row in preview.rows if row.values["kind"] == "official"]
    assert 15 <= len({row.values["unit"] for row in officials}) <= 25
    assert {row.values["discussion_group"] for row in officials} == {f"Tổ {n}" for n in range(1, 9)}
    assert len({row.values["seat"] for row in preview.rows}) == 180
    assert len({row.values["full_name"] for row in preview.rows}) == 180


@pytest.fixture
def roster_only_seeds(tmp_path) -> Path:
    """The demo's congress and roster without its documents, which take long to render
    (test_seed_demo loads the whole demo)."""
    real = (ROOT / "seeds" / "congress.toml").read_text(encoding="utf-8")
    congress_only = real[:real.index("[[documents]]")]
    # Top-level keys come before the first table in TOML.
    (tmp_path / "congress.toml").write_text(
        "documents = []\nsessions = []\n" + congress_only, encoding="utf-8")
    shutil.copy(ROOT / "seeds" / "delegates.csv", tmp_path / "delegates.csv")
    return tmp_path


def test_seed_demo_loads_the_roster_once(runner, roster_only_seeds):
    first = runner.invoke(args=["seed-demo", "--seeds", str(roster_only_seeds)])
    assert first.exit_code == 0, first.output
    assert _count(Delegate) == 180
    assert db.session.scalar(select(func.count(Delegate.id)).where(
        Delegate.kind == DelegateKind.OFFICIAL)) == 168
    assert db.session.scalar(select(func.count(Delegate.id)).where(
        Delegate.token_hash.is_(None))) == 0
    before = _state()
    second = runner.invoke(args=["seed-demo", "--seeds", str(roster_only_seeds)])
    assert "nothing changed" in second.output
    assert _state() == before
