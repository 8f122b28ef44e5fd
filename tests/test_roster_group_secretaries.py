"""The roster file's "Thư ký tổ" column marks each discussion group's secretary (the one who
enters the group's opinion on the drafts): previewed, applied, changed by a later file."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import Delegate
from congress_app.services import roster_import
from congress_app.services.roster_import import RowStatus

from .samples import VI_HEADER, make_csv

HEADER = [*VI_HEADER, "Thư ký tổ"]
ROWS = [
    ["1", "Nguyễn Văn An", "Chi bộ Khu dân cư số 1", "Tổ 1", "A-01", "Chính thức", "x"],
    ["2", "Trần Thị Bình", "Chi bộ Khu dân cư số 2", "Tổ 1", "A-02", "Chính thức", ""],
    ["3", "Lê Hoàng Cường", "Chi bộ Khu dân cư số 3", "Tổ 2", "A-03", "Chính thức", "Có"],
]


def _secretaries(congress) -> dict[int, bool]:
    db.session.expire_all()
    return {d.number: d.group_secretary for d in db.session.scalars(
        select(Delegate).where(Delegate.congress_id == congress.id))}


def test_the_column_marks_the_secretaries_and_a_later_file_changes_them(congress, english):
    preview = roster_import.preview_roster(congress, make_csv(ROWS, header=HEADER))
    assert "group_secretary" in preview.columns
    assert [r.values["group_secretary"] for r in preview.rows] == ["x", "", "x"]
    roster_import.apply_roster(congress, preview)
    assert _secretaries(congress) == {1: True, 2: False, 3: True}

    swapped = [[*ROWS[0][:6], "không"], [*ROWS[1][:6], "X"], ROWS[2]]
    preview = roster_import.preview_roster(congress, make_csv(swapped, header=HEADER))
    assert [r.status for r in preview.rows] == [RowStatus.CHANGE, RowStatus.CHANGE,
                                                RowStatus.UNCHANGED]
    assert [(c.field, c.old, c.new) for c in preview.rows[0].changes] == [
        ("group_secretary", "x", "")]
    roster_import.apply_roster(congress, preview)
    assert _secretaries(congress) == {1: False, 2: True, 3: True}

    # A file without the column leaves the marks as they are.
    plain = [row[:6] for row in swapped]
    preview = roster_import.preview_roster(congress, make_csv(plain, header=VI_HEADER))
    assert all(r.status == RowStatus.UNCHANGED for r in preview.rows)


@pytest.mark.parametrize("rows, message", [
    ([[*ROWS[0][:6], "chủ tịch"]],
     "“chủ tịch” in the column “Secretary of the discussion group”: write “x” for the "
     "group's secretary, or leave it empty."),
    ([["1", "Nguyễn Văn An", "", "", "A-01", "", "x"]],
     "A group's secretary needs a discussion group: fill in the group, or leave the "
     "secretary's cell empty."),
])
def test_a_bad_secretary_cell_rejects_the_row_and_nothing_is_imported(congress, english, rows,
                                                                      message):
    preview = roster_import.preview_roster(congress, make_csv(rows, header=HEADER))
    (row,) = preview.rows
    assert row.status == RowStatus.REJECTED and message in [str(p) for p in row.problems]
    assert not preview.can_apply
    assert _secretaries(congress) == {}


def test_the_preview_page_shows_the_secretaries(client, signed_in, congress):
    from .roster_page_checks import _text
    from .test_roster_pages_import import _confirm_fields, _upload

    html = _text(_upload(signed_in, make_csv(ROWS, header=HEADER)))
    assert "Secretary of the discussion group." in html  # among the columns read
    assert "Tổ 1 <span class=\"tag\">secretary</span>" in html
    assert signed_in.post("/organiser/delegates/import/confirm",
                          _confirm_fields(html)).status_code == 302
    assert _secretaries(congress) == {1: True, 2: False, 3: True}
    changed = [[*ROWS[0][:6], ""], *ROWS[1:]]
    html = _text(_upload(signed_in, make_csv(changed, header=HEADER)))
    assert ("Secretary of the discussion group: <del>yes</del> → <ins>no</ins>" in html)
