"""The compiled report's rows as files: CSV and XLSX for the organisers (with the authors'
names), JSON and CSV for the higher-level congress (opinions on its drafts, no names).

Every text cell is neutralised for spreadsheets: Excel and LibreOffice run a cell starting
with = + - @ (or a tab or carriage return that hides one) as a formula, and a delegate
typed these texts, so such a cell gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from ..labels import ANCHOR_STATE_LABELS, CLASSIFICATION_LABELS, STANCE_LABELS
from ..models import Congress, DocumentCategory, Stance, utcnow
from ..spreadsheet_cells import safe_cell
from .comment_groups import group_name, members_data
from .comment_report import DocumentOpinions, Opinion, compile_report

HIGHER_LEVEL = frozenset({DocumentCategory.HIGHER_DRAFT})



def _authors(opinion: Opinion) -> str:
    return "; ".join(_("No. %(number)s %(name)s", number=a.number, name=a.full_name)
                     for a in opinion.authors)


def _flag(opinion: Opinion) -> str:
    """ "Đoạn đã thay đổi" (or not found in the new version), empty on the same words."""
    flag = opinion.paragraph_flag
    return str(ANCHOR_STATE_LABELS[flag]) if flag else ""


def _headers(with_authors: bool) -> list[str]:
    headers = [_("Document code"), _("Document"), _("Section"), _("§"), _("Paragraph"),
               _("Comment No."), _("Comments"), _("Stance"), _("Comment"),
               _("Proposed wording"), _("Classification"), _("Response"),
               _("Discussion groups"), _("Paragraph changed")]
    return [*headers, _("Authors")] if with_authors else headers


def _rows(reports: list[DocumentOpinions], with_authors: bool) -> Iterator[list]:
    """One row per opinion (its duplicates counted in it), in the report's order; the count
    is of delegates' opinions (a group's opinion as its share count, services/comment_groups)
    and the groups column says whom it stands for: "Ý kiến của Tổ 3 (12/15 đại biểu)"."""
    for report in reports:
        for section in report.sections:
            for paragraph in section.paragraphs:
                for opinion in paragraph.opinions:
                    comment = opinion.comment
                    row = [report.document.code, report.document.title, section.title,
                           paragraph.number, paragraph.text, comment.id, opinion.count,
                           str(STANCE_LABELS[comment.stance]), comment.text,
                           comment.proposed_wording,
                           str(CLASSIFICATION_LABELS[opinion.classification])
                           if opinion.classification else "", opinion.response,
                           opinion.groups, _flag(opinion)]
                    yield [*row, _authors(opinion)] if with_authors else row


def _csv(reports: list[DocumentOpinions], with_authors: bool) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM makes Excel read the file as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(_headers(with_authors))
    for row in _rows(reports, with_authors):
        writer.writerow(["" if v is None else safe_cell(str(v)) for v in row])
    return buffer.getvalue().encode("utf-8")


def organisers_csv(congress: Congress) -> bytes:
    """Every opinion of the congress, with its authors: the organisers' CSV."""
    return _csv(compile_report(congress), with_authors=True)


def organisers_xlsx(congress: Congress) -> bytes:
    """The same rows as a workbook: numbers as numbers, texts neutralised and wrapped."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Comments")[:31]
    sheet.append(_headers(True))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    reports = compile_report(congress)
    for row in _rows(reports, with_authors=True):
        sheet.append([value if isinstance(value, int) or value is None
                      else safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
                      for value in row])
    wrap = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFGHIJKLMNO", (10, 30, 24, 6, 50, 10, 8, 16, 50, 50, 18, 40,
                                                30, 18, 30), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    sheet.freeze_panes = "A2"
    _group_sheet(book, reports)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _group_sheet(book: Workbook, reports: list[DocumentOpinions]) -> None:
    """The summary table, documents × groups × stances, on a sheet of its own: one row per
    document and discussion group (the document's total first, group "")."""
    sheet = book.create_sheet(_("By discussion group")[:31])
    sheet.append([_("Document code"), _("Document"), _("Discussion group"),
                  *(str(STANCE_LABELS[s]) for s in Stance), _("Total")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for report in reports:
        code, title = safe_cell(report.document.code), safe_cell(report.document.title)
        sheet.append([code, title, "", *(report.stances[s] for s in Stance), report.total])
        for counts in report.groups:
            sheet.append([code, title, safe_cell(group_name(counts.group)),
                          *(counts.stances[s] for s in Stance), counts.total])
    for column, width in zip("ABCDEFG", (10, 40, 24, 12, 12, 12, 10), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"


def higher_level_csv(congress: Congress) -> bytes:
    """The opinions on the higher level's drafts, without names, for the higher congress."""
    return _csv(compile_report(congress, HIGHER_LEVEL), with_authors=False)


def higher_level_json(congress: Congress) -> bytes:
    """The same as structured data: stable keys and stored values (not labels), UTF-8."""
    documents = []
    for report in compile_report(congress, HIGHER_LEVEL):
        opinions = [
            {"paragraph": paragraph.number, "section": section.title,
             "paragraph_text": paragraph.text, "stance": opinion.comment.stance.value,
             "text": opinion.comment.text,
             "proposed_wording": opinion.comment.proposed_wording, "count": opinion.count,
             "groups": members_data(opinion.members),
             "classification": opinion.classification.value if opinion.classification
             else None, "response": opinion.response,
             "anchor_state": opinion.comment.anchor_state.value}
            for section in report.sections for paragraph in section.paragraphs
            for opinion in paragraph.opinions]
        documents.append({"code": report.document.code, "title": report.document.title,
                          "comments": report.total,
                          "stances": {s.value: n for s, n in report.stances.items()},
                          "groups": [{"group": g.group, "comments": g.total,
                                      "stances": {s.value: n for s, n in g.stances.items()}}
                                     for g in report.groups],
                          "opinions": opinions})
    data = {"congress": {"slug": congress.slug, "title": congress.title,
                         "organisation": congress.organisation},
            "exported_at": utcnow().isoformat(timespec="seconds"), "documents": documents}
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
