"""The compiled report's body as a flat list of rows, and where it can be cut into parts.

WeasyPrint's cost grows with the lines and the inline boxes it lays out, not with the
content's meaning: 2,000 opinions printed each with its own stance line, count and answer
took 11–13 s. So the report prints, under each §, one line per stance with the opinions
counted together ("Tán thành (Số ý kiến: 52)"), each opinion's text as one plain block,
and one answer after the opinions that share it (same classification and response), as a
secretariat writes "Có 52 ý kiến tán thành …; tiếp thu, giải trình: …". A proposed wording
is one block too, its changed words only in <del>/<ins>.

The rows are flat (no element spans two rows), so the body can be cut between any two rows
and each part rendered on its own (pdf/parallel.py); `cut_points` says where to cut.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from markupsafe import Markup, escape

from ..models import AnchorState, Classification, Stance
from ..services.comment_report import DocumentOpinions, Opinion, ParagraphOpinions

# A row's weight is about the characters it prints, plus this much for its boxes: what a
# part's render time follows closely enough to balance the parts.
ROW_COST = 60
# How much worse than a perfectly balanced cut a cut may be to fall on a better place: at
# a document's start (nothing lost), a section's, a §'s, a stance's, between opinions.
CUT_PENALTY = {"document": 0.0, "section": 0.04, "paragraph": 0.1, "stance": 0.2,
               "opinion": 0.3}
_CLASS_ORDER = {c: n for n, c in enumerate(Classification)}


@dataclass(frozen=True)
class DocumentHead:
    number: int
    title: str


@dataclass(frozen=True)
class StanceHead:
    stance: Stance
    count: int


@dataclass(frozen=True)
class Answer:
    classification: Classification | None
    response: str


@dataclass(frozen=True)
class Row:
    """What one row prints, in this order: the headings it opens, one opinion (its text,
    its count when its stance line does not say it, its wording as a diff), the answer
    when it is the last opinion of those that share it."""

    document: DocumentHead | None = None
    section: str | None = None
    paragraph: ParagraphOpinions | None = None
    stance: StanceHead | None = None
    text: str = ""
    count: int | None = None
    diff: Markup | None = None
    legend: bool = False
    answer: Answer | None = None
    # Whom a discussion group's opinion stands for ("Ý kiến của Tổ 3 (12/15 đại biểu)"),
    # and why the secretariat must read it against the new wording (đoạn đã thay đổi).
    shares: str = ""
    flag: AnchorState | None = None

    @property
    def opens(self) -> str:
        """The largest unit this row begins (what a cut before it falls at)."""
        for kind in ("document", "section", "paragraph", "stance"):
            if getattr(self, kind) is not None:
                return kind
        return "opinion"

    @property
    def weight(self) -> int:
        printed = len(self.text) + len(self.diff or "") + len(self.shares) + len(
            self.paragraph.text if self.paragraph is not None else "")
        return printed + ROW_COST


def diff_markup(runs: list[tuple[str, str]]) -> Markup:
    """A word diff as HTML: unchanged words as plain text, deleted ones struck and
    bracketed, added ones underlined and braced. The brackets are text, not CSS
    ::before/::after, which would be two more boxes each."""
    parts = []
    for op, words in runs:
        if op == "del":
            parts.append(f"<del>[{escape(words)}]</del>")
        elif op == "ins":
            parts.append(f"<ins>{{{escape(words)}}}</ins>")
        else:
            parts.append(str(escape(words)))
    return Markup(" ".join(parts))


def _answer_key(opinion: Opinion) -> tuple:
    """Answered opinions first, by classification, then response; unanswered last."""
    if opinion.classification is None:
        return (1, 0, "")
    return (0, _CLASS_ORDER[opinion.classification], opinion.response)


def _paragraph_rows(paragraph: ParagraphOpinions) -> list[Row]:
    rows: list[Row] = []
    for stance in Stance:
        opinions = sorted((o for o in paragraph.opinions if o.comment.stance == stance),
                          key=_answer_key)  # stable: in their order within one answer
        for n, opinion in enumerate(opinions):
            answer = Answer(opinion.classification, opinion.response)
            last_of_answer = (n + 1 == len(opinions)
                              or _answer_key(opinions[n + 1]) != _answer_key(opinion))
            wording = opinion.diff
            rows.append(Row(
                paragraph=paragraph if not rows else None,
                stance=StanceHead(stance, sum(o.count for o in opinions)) if n == 0 else None,
                text=opinion.comment.text,
                count=opinion.count if opinion.count > 1 and len(opinions) > 1 else None,
                diff=diff_markup(wording) if wording else None,
                answer=answer if last_of_answer else None,
                shares=opinion.shares, flag=opinion.paragraph_flag))
    return rows


def report_rows(reports: list[DocumentOpinions]) -> list[Row]:
    """Every document's rows, in the report's order. A document's first proposed wording
    says how the changed words are marked (`legend`); the others only "Proposed wording:",
    which is 400 lines fewer in a report of 2,000 comments."""
    rows: list[Row] = []
    for number, report in enumerate(reports, 1):
        document = DocumentHead(number, report.document.title)
        legend = True
        for section in report.sections:
            opened_section = False
            for paragraph in section.paragraphs:
                for row in _paragraph_rows(paragraph):
                    extra = {}
                    if document is not None:
                        extra["document"], document = document, None
                    if section.title and not opened_section:
                        extra["section"], opened_section = section.title, True
                    if row.diff is not None and legend:
                        extra["legend"], legend = True, False
                    rows.append(replace(row, **extra) if extra else row)
    return rows


def cut_points(rows: list[Row], parts: int, first: float = 1.0) -> list[int]:
    """Where to cut `rows` into at most `parts` parts: the indexes of the rows that begin
    the second, third … part, each chosen near its share of the weight, preferring to begin
    a document, a section, a § (CUT_PENALTY). The first part's share is `first` times the
    others' (the process rendering it has more to do afterwards)."""
    if parts < 2 or len(rows) < 2:
        return []
    total = sum(row.weight for row in rows)
    share = total / (parts - 1 + first)
    cuts: list[int] = []
    done = 0  # weight before rows[index]
    before = []
    for row in rows:
        before.append(done)
        done += row.weight
    start = 1
    for k in range(1, parts):
        target = share * (k - 1 + first)
        best, best_score = None, None
        # Leave a row at least for each part after this one.
        for index in range(start, len(rows) - (parts - 1 - k)):
            off = abs(before[index] - target) / share
            if best is not None and off > 0.5 and before[index] > target:
                break
            score = off + CUT_PENALTY[rows[index].opens]
            if best_score is None or score < best_score:
                best, best_score = index, score
        if best is None:
            break
        cuts.append(best)
        start = best + 1
    return cuts
