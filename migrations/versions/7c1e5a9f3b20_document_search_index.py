"""document search index (SQLite FTS5, kept in sync by triggers)

Revision ID: 7c1e5a9f3b20
Revises: 2d635b788d3c
Create Date: 2026-11-21 23:45:00.000000

One FTS5 row per (document, page) of the document's newest version: the document's title
and that page's text, both with đ/Đ folded to d/D (unicode61 does not treat đ as d + a
diacritic; remove_diacritics 2 removes every other Vietnamese accent). A document without
any version has one row, page 0, holding only its title. The rowid is
document_id * 100000 + page, so one document's rows are a cheap rowid range.

Triggers on documents and document_versions rebuild a document's rows whenever its title
or versions change, so no Python code has to remember the index. On other databases
(PostgreSQL comes later) nothing is created; services/search.py falls back to ILIKE.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c1e5a9f3b20'
down_revision = '2d635b788d3c'
branch_labels = None
depends_on = None

ROWS_PER_DOCUMENT = 100000
PAGE_SEPARATOR = "char(10) || char(12)"  # DocumentVersion.text joins pages with "\n\f"
TRIGGERS = (
    "document_search_document_insert",
    "document_search_document_title",
    "document_search_document_delete",
    "document_search_version_insert",
    "document_search_version_update",
    "document_search_version_delete",
)


def fold(expression: str) -> str:
    """SQL folding đ/Đ to d/D; the tokenizer removes the other diacritics and case."""
    return f"replace(replace({expression}, 'đ', 'd'), 'Đ', 'D')"


def pages_json(expression: str) -> str:
    """SQL turning "\\n\\f"-separated text into a JSON array of pages, for json_each().

    Triggers cannot use recursive CTEs, so the text is split by JSON: backslashes (never
    part of a word) are dropped first, so the only "\\u001e" in the quoted text is the
    record separator that stands in for the page break.
    """
    text = f"replace(replace({expression}, '\\', ' '), char(30), ' ')"
    text = f"replace({text}, {PAGE_SEPARATOR}, char(30))"
    return f"'[' || replace(json_quote({text}), '\\u001e', '\",\"') || ']'"


def index_statements(document_id: str) -> list[str]:
    """SQL statements that rebuild the index rows of the document(s) matching document_id."""
    low = f"({document_id}) * {ROWS_PER_DOCUMENT}"
    return [
        f"DELETE FROM document_search WHERE rowid BETWEEN {low} AND {low} + "
        f"{ROWS_PER_DOCUMENT - 1}",
        "INSERT INTO document_search (rowid, title, body, document_id, page) "
        f"SELECT d.id * {ROWS_PER_DOCUMENT} + p.key + 1, {fold('d.title')}, "
        f"{fold('p.value')}, d.id, p.key + 1 "
        "FROM documents d JOIN document_versions v ON v.document_id = d.id, "
        f"json_each({pages_json('v.text')}) p "
        f"WHERE d.id = ({document_id}) AND p.key < {ROWS_PER_DOCUMENT - 1} AND v.number = "
        "(SELECT max(number) FROM document_versions WHERE document_id = d.id)",
        "INSERT INTO document_search (rowid, title, body, document_id, page) "
        f"SELECT d.id * {ROWS_PER_DOCUMENT}, {fold('d.title')}, '', d.id, 0 FROM documents d "
        f"WHERE d.id = ({document_id}) AND NOT EXISTS "
        "(SELECT 1 FROM document_versions WHERE document_id = d.id)",
    ]


def trigger(name: str, event: str, document_id: str) -> str:
    body = ";\n  ".join(index_statements(document_id))
    return f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW BEGIN\n  {body};\nEND"


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE document_search USING fts5("
        "title, body, document_id UNINDEXED, page UNINDEXED, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(trigger(TRIGGERS[0], "INSERT ON documents", "NEW.id"))
    op.execute(trigger(TRIGGERS[1], "UPDATE OF title ON documents", "NEW.id"))
    op.execute(
        f"CREATE TRIGGER {TRIGGERS[2]} AFTER DELETE ON documents FOR EACH ROW BEGIN\n"
        f"  DELETE FROM document_search WHERE rowid BETWEEN OLD.id * {ROWS_PER_DOCUMENT} "
        f"AND OLD.id * {ROWS_PER_DOCUMENT} + {ROWS_PER_DOCUMENT - 1};\nEND"
    )
    op.execute(trigger(TRIGGERS[3], "INSERT ON document_versions", "NEW.document_id"))
    op.execute(trigger(TRIGGERS[4], "UPDATE OF text, number ON document_versions",
                       "NEW.document_id"))
    op.execute(trigger(TRIGGERS[5], "DELETE ON document_versions", "OLD.document_id"))
    # Backfill: every existing document, in one pass per statement.
    for statement in index_statements("d.id")[1:]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS document_search")
