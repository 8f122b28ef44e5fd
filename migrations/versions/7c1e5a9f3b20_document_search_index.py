"""document search index (SQLite FTS5 or PostgreSQL full-text search, kept in sync by triggers)

Revision ID: 7c1e5a9f3b20
Revises: 2d635b788d3c
Create Date: 2026-11-21 23:45:00.000000

One FTS5 row per (document, page) of the document's newest version: the document's title
and that page's text, both with đ/Đ folded to d/D (unicode61 does not treat đ as d + a
diacritic; remove_diacritics 2 removes every other Vietnamese accent). A document without
any version has one row, page 0, holding only its title. The rowid is
document_id * 100000 + page, so one document's rows are a cheap rowid range.

Triggers on documents and document_versions rebuild a document's rows whenever its title
or versions change, so no Python code has to remember the index.

PostgreSQL gets a plain table with the same rows and columns (keyed by document_id, page),
PL/pgSQL triggers mirroring the SQLite ones, and a GIN-indexed tsvector column built from
the title (weight A) and the page (weight D) folded by congress_search_fold(): đ/Đ → d,
unaccent, lower case, and every non-alphanumeric character a space, so words split as
unicode61 splits them ("2025-2030", "a/b" and "3.5" are two words each, not one token).
unaccent is only STABLE; the IMMUTABLE wrapper congress_unaccent() lets indexes use it.
On other databases nothing is created; services/search.py falls back to ILIKE.
"""
from alembic import op
from sqlalchemy import text


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
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        upgrade_postgresql()
    if dialect != "sqlite":
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
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        downgrade_postgresql()
    if dialect != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS document_search")


# PostgreSQL -----------------------------------------------------------------------------

PG_FUNCTIONS = (
    "document_search_sync()",
    "document_search_reindex(integer)",
    "congress_search_fold(text)",
    "congress_unaccent(text)",
)
PG_TRIGGERS = (
    ("document_search_documents", "documents"),
    ("document_search_versions", "document_versions"),
)

PG_REINDEX = r"""
CREATE FUNCTION document_search_reindex(doc integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM document_search WHERE document_id = doc;
  -- Backslashes and record separators become spaces, as in the SQLite index.
  INSERT INTO document_search (document_id, page, title, body)
  SELECT d.id, p.page, translate(d.title, 'đĐ', 'dD'), translate(p.body, 'đĐ', 'dD')
  FROM documents d
  JOIN document_versions v ON v.document_id = d.id
  CROSS JOIN LATERAL regexp_split_to_table(
      replace(replace(v.text, '\', ' '), chr(30), ' '), E'\n\f'
  ) WITH ORDINALITY AS p(body, page)
  WHERE d.id = doc
    AND v.number = (SELECT max(number) FROM document_versions WHERE document_id = d.id);
  INSERT INTO document_search (document_id, page, title, body)
  SELECT d.id, 0, translate(d.title, 'đĐ', 'dD'), '' FROM documents d
  WHERE d.id = doc AND NOT EXISTS (SELECT 1 FROM document_versions WHERE document_id = d.id);
END
$$
"""

PG_SYNC = """
CREATE FUNCTION document_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'documents' THEN
    IF TG_OP = 'DELETE' THEN
      DELETE FROM document_search WHERE document_id = OLD.id;
    ELSE
      PERFORM document_search_reindex(NEW.id);
    END IF;
  ELSE
    IF TG_OP <> 'INSERT' THEN
      PERFORM document_search_reindex(OLD.document_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.document_id <> OLD.document_id) THEN
      PERFORM document_search_reindex(NEW.document_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$
"""


def upgrade_postgresql():
    """The PostgreSQL search table, its functions, triggers and GIN index; then a backfill."""
    # Needs the contrib files (Debian: the postgresql package) and a role allowed to create
    # the extension, unless an administrator created it already.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema = op.get_bind().execute(text(
        "SELECT quote_ident(n.nspname) FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
    )).scalar_one()
    op.execute(
        "CREATE FUNCTION congress_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        f"AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$"
    )
    op.execute(
        "CREATE FUNCTION congress_search_fold(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        "AS $$ SELECT regexp_replace(lower(congress_unaccent(translate($1, 'đĐ', 'dD'))), "
        r"'\W+', ' ', 'g') $$"
    )
    op.execute(
        "CREATE TABLE document_search ("
        "document_id integer NOT NULL, page integer NOT NULL, "
        "title text NOT NULL, body text NOT NULL, "
        "terms tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple', congress_search_fold(title)), 'A') || "
        "setweight(to_tsvector('simple', congress_search_fold(body)), 'D')) STORED, "
        "PRIMARY KEY (document_id, page))"
    )
    op.execute("CREATE INDEX document_search_terms ON document_search USING gin (terms)")
    op.execute(PG_REINDEX)
    op.execute(PG_SYNC)
    op.execute(
        f"CREATE TRIGGER {PG_TRIGGERS[0][0]} AFTER INSERT OR DELETE OR UPDATE OF title "
        "ON documents FOR EACH ROW EXECUTE FUNCTION document_search_sync()"
    )
    op.execute(
        f"CREATE TRIGGER {PG_TRIGGERS[1][0]} AFTER INSERT OR DELETE OR UPDATE OF text, number, "
        "document_id ON document_versions FOR EACH ROW EXECUTE FUNCTION document_search_sync()"
    )
    op.execute("SELECT document_search_reindex(id) FROM documents")


def downgrade_postgresql():
    """Drop what upgrade_postgresql() made; the unaccent extension stays (others may use it)."""
    for name, table in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP TABLE IF EXISTS document_search")
    for function in PG_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
