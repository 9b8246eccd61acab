"""Forward-only schema migrations, tracked in SQLite's `PRAGMA user_version`.

Add a step by appending a function to STEPS; never edit a released one. Several processes may
open a fresh file at once, so the version is read again inside the write transaction.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee as pw

from cc_orchestrator.core.store import tables
from cc_orchestrator.errors import StoreError


def _add_columns(db: pw.SqliteDatabase, model: type[pw.Model], names: list[str]) -> None:
    """Add columns a table lacks (step 1 makes fresh databases with every current column)."""
    from playhouse.migrate import SqliteMigrator, migrate

    table = model._meta.table_name
    present = {c.name for c in db.get_columns(table)}
    migrator = SqliteMigrator(db)
    fields = model._meta.fields
    migrate(*[migrator.add_column(table, n, fields[n]) for n in names if fields[n].column_name not in present])


def _v1_initial(db: pw.SqliteDatabase) -> None:
    db.create_tables(tables.ALL_TABLES, safe=True)


def _v2_agent_states(db: pw.SqliteDatabase) -> None:
    _add_columns(
        db,
        tables.InstanceRow,
        [
            "agent",
            "waiting_for",
            "session_id",
            "spool_offset",
            "transcript_path",
            "transcript_offset",
            "last_message_id",
            "tokens_in",
            "tokens_out",
            "model",
            "held_until",
            "limit_notice",
            "restarts",
        ],
    )


def _v3_integrations(db: pw.SqliteDatabase) -> None:
    _add_columns(db, tables.TaskRow, ["source_project", "source_url", "pr_url"])
    db.create_tables([tables.CursorRow], safe=True)
    # The integrations start after what happened so far: history is never acted on.
    db.execute_sql(
        "INSERT OR IGNORE INTO cursors (name, value) SELECT 'integrations', COALESCE(MAX(id), 0) FROM events"
    )
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS tasks_source_source_project_source_id ON tasks (source, source_project, source_id)"
    )
    db.execute_sql("CREATE INDEX IF NOT EXISTS events_task_id ON events (task_id)")  # a task's history


def _v4_screens(db: pw.SqliteDatabase) -> None:
    _add_columns(db, tables.InstanceRow, ["screen_captured_at", "screen_activity"])


def _v5_deliveries(db: pw.SqliteDatabase) -> None:
    _add_columns(db, tables.InstanceRow, ["delivering"])


def _v6_stops(db: pw.SqliteDatabase) -> None:
    _add_columns(db, tables.InstanceRow, ["stopper_pid"])


def _v7_stopper_since(db: pw.SqliteDatabase) -> None:
    _add_columns(db, tables.InstanceRow, ["stopper_since"])


def _v8_review(db: pw.SqliteDatabase) -> None:
    _add_columns(db, tables.TaskRow, ["checks"])
    _add_columns(db, tables.InstanceRow, ["attention"])
    _add_columns(db, tables.WorktreeRow, ["merged_at", "merged_as", "merged_tip"])
    db.create_tables([tables.CheckRunRow, tables.WorktreeChangeRow], safe=True)
    # the review loop follows events from here on: history is never acted on
    db.execute_sql("INSERT OR IGNORE INTO cursors (name, value) SELECT 'review', COALESCE(MAX(id), 0) FROM events")


def _v9_hosts(db: pw.SqliteDatabase) -> None:
    db.create_tables([tables.HostRow], safe=True)
    _add_columns(db, tables.InstanceRow, ["host"])  # every instance so far ran here: "local"
    db.execute_sql("CREATE INDEX IF NOT EXISTS instances_host ON instances (host)")


def _v10_host_health(db: pw.SqliteDatabase) -> None:
    _add_columns(db, tables.HostRow, ["unreachable_since", "home"])
    _add_columns(db, tables.TaskRow, ["host"])
    _add_columns(db, tables.InstanceRow, ["log_offset"])


STEPS: list[Callable[[pw.SqliteDatabase], None]] = [
    _v1_initial,
    _v2_agent_states,
    _v3_integrations,
    _v4_screens,
    _v5_deliveries,
    _v6_stops,
    _v7_stopper_since,
    _v8_review,
    _v9_hosts,
    _v10_host_health,
]
SCHEMA_VERSION = len(STEPS)


def current_version(db: pw.SqliteDatabase) -> int:
    return db.execute_sql("PRAGMA user_version").fetchone()[0]


def migrate(db: pw.SqliteDatabase) -> int:
    """Bring the schema to SCHEMA_VERSION; return the version found before."""
    found = current_version(db)
    if found == SCHEMA_VERSION:
        return found
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"database schema {found} is newer than this cc-orchestrator understands "
            f"({SCHEMA_VERSION}); upgrade cc-orchestrator"
        )
    with db.atomic():
        found = current_version(db)
        for version in range(found, SCHEMA_VERSION):
            STEPS[version](db)
            db.execute_sql(f"PRAGMA user_version = {version + 1}")
    return found
