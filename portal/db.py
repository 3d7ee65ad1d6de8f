"""The database proxy, per-request connections, SQLite pragmas and the one write-transaction helper."""
from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect
from playhouse.migrate import SchemaMigrator, migrate

db = DatabaseProxy()

# WAL lets readers run beside a writer; the busy timeout makes concurrent writers wait instead of failing.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -32000,
}


def open_database(url):
    """Build the database object for a DATABASE_URL."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=10)
    return connect(url)


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)


# ANALYZE reads about this many rows of each index (SQLite's approximate analysis): statistics good enough for the
# planner in milliseconds, however many tickets there are.
ANALYSIS_LIMIT = 1000


def refresh_statistics():
    """Refresh the query planner's table statistics (after init-db and bulk loads, and daily from the worker).

    Without them SQLite takes any index for as good as another: the queue's (deleted_at, updated_at) index, which
    matches every ticket, turns a count or a one-hit search into a walk over the whole table.
    """
    if is_sqlite():
        db.execute_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    db.execute_sql("ANALYZE")


def write():
    """One transaction for one write; on SQLite take the write lock up front so two writers queue, not deadlock."""
    if is_sqlite():
        return db.atomic(lock_type="IMMEDIATE")
    return db.atomic()


def add_missing_columns(models):
    """Create the tables a newer release added and add the columns it gave existing tables (each nullable or with a
    default), so an upgrade keeps its data; indexes are left to create_tables."""
    existing_tables = set(db.get_tables())
    db.create_tables([m for m in models if m._meta.table_name not in existing_tables], safe=True)
    migrator = SchemaMigrator.from_database(db.obj)
    operations = []
    for model in models:
        table = model._meta.table_name
        if table not in existing_tables:
            continue
        present = {column.name for column in db.get_columns(table)}
        for field in model._meta.sorted_fields:
            if field.column_name not in present:
                operations.append(migrator.add_column(table, field.column_name, field))
    if operations:
        with db.atomic():
            migrate(*operations)
    return len(operations)


def init_app(app):
    database = open_database(app.config["DATABASE_URL"])
    db.initialize(database)

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()
