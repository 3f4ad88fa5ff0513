"""Owns the SQLite database: every SQL statement lives in this package, split by what it owns.

    db           connections, the writer queue (`immediate`), time stamps, rows as dicts
    migrations   the schema: every migration in order, `migrate()`
    audit        the append-only audit log
    submissions  the public service's writes and reads (submissions, ratings, status)
    safety       backups, restore, retention
    moderation   accounts, sessions, the queue, answers, exports, the dashboard
    counts       moderation figures kept per week by triggers (queue counts, dashboard)
    masks        masked copies of free text, written with it, that exports read
    fulltext     the full-text index of messages, filled in batches after the write
    triage       similar published answers, duplicate groups, claims
    feed         the public feed, "you said, we did", the district digest
    digest       the district digest's figures and public answers kept per district and day

Importing the package is enough to migrate a database to the latest schema. The names below
are the ones most callers need; the rest are used from their module.
"""
from __future__ import annotations

from . import audit, counts, migrations, safety, submissions  # noqa: F401
from .db import (StorageBusy, StorageError, ago, close_thread_connections, connect, fault,  # noqa: F401
                 get_db, immediate, note_fault, now)
from .migrations import check, latest, migrate, pending, probe_write, schema_version  # noqa: F401
from .safety import (backup, backup_problem, clear_old_client_hashes, erase_old_contacts,  # noqa: F401
                     integrity, personal_data_older_than, restore)
from .submissions import (CHANNELS, PUBLIC_STATUS, STATUSES, insert_rating,  # noqa: F401
                          insert_submission, public_status, submission_language)
