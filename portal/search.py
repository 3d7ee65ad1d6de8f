"""Full-text search: SQLite FTS5 tables beside the data, LIKE on other databases.

The index tables are kept by the service layer inside the same transaction as the write they mirror. A ticket is
one document (rowid = ticket id) holding its subject, its public replies and its internal notes in separate
columns, so a search yields ticket ids straight from the index and customers never match a note.
"""
import re

from peewee import SQL

from .db import db, is_sqlite

# `scope` holds the tokens c<customer id> and, for a ticket of an organization, o<organization id>, so a search within
# one customer's (or one organization's) tickets stays small however many tickets match the words elsewhere.
FTS_TABLES = {
    "ticket_fts": "subject, replies, notes, scope",
    "article_fts": "title, body",
}
RETIRED_TABLES = ("message_fts",)  # from an older layout

TICKET_DOCUMENT = (
    "SELECT t.id, t.subject, "
    "(SELECT group_concat(body, char(10)) FROM message WHERE ticket_id = t.id AND kind = 'reply'), "
    "(SELECT group_concat(body, char(10)) FROM message WHERE ticket_id = t.id AND kind = 'note'), "
    "'c' || t.customer_id || coalesce(' o' || t.organization_id, '') FROM ticket AS t"
)

_WORD = re.compile(r"\w+", re.UNICODE)


def create_tables():
    """Create the index tables; an index from an older layout is rebuilt from the data."""
    if not is_sqlite():
        return
    stale = False
    for name in RETIRED_TABLES:
        if db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone():
            db.execute_sql(f"DROP TABLE {name}")
            stale = True
    for name, columns in FTS_TABLES.items():
        existing = [row[1] for row in db.execute_sql(f"PRAGMA table_info({name})").fetchall()]
        wanted = [c.split()[0] for c in columns.split(", ")]
        if existing and existing != wanted:
            db.execute_sql(f"DROP TABLE {name}")
            stale = True
        db.execute_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5({columns}, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
    if stale:
        rebuild()


def rebuild():
    """Fill every index table again from the tickets, messages and articles."""
    if not is_sqlite():
        return
    with db.atomic():
        for name in FTS_TABLES:
            db.execute_sql(f"DELETE FROM {name}")
        db.execute_sql(f"INSERT INTO ticket_fts(rowid, subject, replies, notes, scope) {TICKET_DOCUMENT}")
        db.execute_sql("INSERT INTO article_fts(rowid, title, body) SELECT id, title, body FROM article")


def fts_query(text):
    """Turn what a person typed into an FTS5 query: every word must match, as a prefix."""
    words = _WORD.findall(text or "")
    return " ".join(f'"{w}"*' for w in words[:12])


def _scope(customer_id):
    return f"c{customer_id}"


def _organization_scope(organization_id):
    return f"o{organization_id}"


def index_ticket(ticket):
    """Write the ticket's whole document again: subject, replies and notes as they are now."""
    if is_sqlite():
        db.execute_sql(
            f"INSERT OR REPLACE INTO ticket_fts(rowid, subject, replies, notes, scope) {TICKET_DOCUMENT} WHERE t.id = ?",
            (ticket.id,),
        )


def index_tickets(ticket_ids):
    """Write the documents of these tickets again (their scope changed: a customer moved between organizations)."""
    if is_sqlite():
        ids = [int(i) for i in ticket_ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            db.execute_sql(f"INSERT OR REPLACE INTO ticket_fts(rowid, subject, replies, notes, scope) "
                           f"{TICKET_DOCUMENT} WHERE t.id IN ({marks})", chunk)


def index_customer_tickets(customer_id):
    """Write the documents of every ticket of one customer again."""
    if is_sqlite():
        db.execute_sql(
            f"INSERT OR REPLACE INTO ticket_fts(rowid, subject, replies, notes, scope) {TICKET_DOCUMENT} "
            "WHERE t.customer_id = ?",
            (customer_id,),
        )


def index_message(message):
    """A new reply or note changes its ticket's document."""
    if message.kind != "event":
        index_ticket(message.ticket)


def index_article(article):
    if is_sqlite():
        db.execute_sql(
            "INSERT OR REPLACE INTO article_fts(rowid, title, body) VALUES (?, ?, ?)",
            (article.id, article.title, article.body),
        )


def unindex_article(article_id):
    if is_sqlite():
        db.execute_sql("DELETE FROM article_fts WHERE rowid = ?", (article_id,))


def unindex_ticket(ticket_id):
    """Forget a purged ticket: SQLite reuses the highest rowid, so stale rows would match a later ticket."""
    if is_sqlite():
        db.execute_sql("DELETE FROM ticket_fts WHERE rowid = ?", (ticket_id,))


def ticket_matches(ticket_model, message_model, text, include_notes, customer_id=None, organization_id=None):
    """A WHERE expression: the ticket's subject or one of its visible messages matches `text`.

    With `customer_id`, only that customer's tickets are looked at; with `organization_id`, that organization's;
    with both, either (the caller filters by what the actor may see as well).
    """
    kinds = ("reply", "note") if include_notes else ("reply",)
    if is_sqlite():
        query = fts_query(text)
        if not query:
            return None
        columns = "subject replies notes" if include_notes else "subject replies"
        match = f"{{{columns}}} : ({query})"
        scopes = []
        if customer_id is not None:
            scopes.append(f'"{_scope(int(customer_id))}"')
        if organization_id is not None:
            scopes.append(f'"{_organization_scope(int(organization_id))}"')
        if scopes:
            match += f" AND {{scope}} : ({' OR '.join(scopes)})"
        return ticket_model.id.in_(SQL("(SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)", (match,)))
    words = _WORD.findall(text or "")
    if not words:
        return None
    expression = None
    for word in words[:12]:
        pattern = f"%{word}%"
        in_messages = ticket_model.id.in_(
            message_model.select(message_model.ticket).where(
                message_model.body ** pattern, message_model.kind.in_(kinds)
            )
        )
        term = (ticket_model.subject ** pattern) | in_messages
        expression = term if expression is None else expression & term
    return expression


def article_ids_matching(text, limit=None):
    """Ids of articles whose title or body match, best first (SQLite), or a LIKE filter elsewhere."""
    query = fts_query(text)
    if not query:
        return []
    if is_sqlite():
        sql = "SELECT rowid FROM article_fts WHERE article_fts MATCH ? ORDER BY bm25(article_fts, 5.0, 1.0)"
        params = [query]
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return [row[0] for row in db.execute_sql(sql, params).fetchall()]
    from .models import Article

    words = _WORD.findall(text)
    select = Article.select(Article.id)
    for word in words[:12]:
        select = select.where((Article.title ** f"%{word}%") | (Article.body ** f"%{word}%"))
    if limit:
        select = select.limit(limit)
    return [a.id for a in select]


def article_ids_matching_any(words, limit=None):
    """Ids of articles matching any of `words` (as prefixes), those matching more and rarer words first."""
    words = [w for w in words if _WORD.fullmatch(w)][:12]
    if not words:
        return []
    if is_sqlite():
        sql = "SELECT rowid FROM article_fts WHERE article_fts MATCH ? ORDER BY bm25(article_fts, 5.0, 1.0)"
        params = [" OR ".join(f'"{w}"*' for w in words)]
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return [row[0] for row in db.execute_sql(sql, params).fetchall()]
    from .models import Article

    condition = None
    for word in words:
        term = (Article.title ** f"%{word}%") | (Article.body ** f"%{word}%")
        condition = term if condition is None else condition | term
    select = Article.select(Article.id).where(condition).order_by(Article.updated_at.desc())
    if limit:
        select = select.limit(limit)
    return [a.id for a in select]


