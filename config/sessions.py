"""The session engine: Django's database sessions, read with one plain statement.

Every page reads its session. Django's ``SessionStore`` does it through ``Session.objects.get(...)``, whose
queryset costs more CPU to build and compile than the indexed lookup costs the database; this store sends the same
lookup directly. Writing, expiry, ``clearsessions`` and the table are Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    """``django.contrib.sessions.backends.db.SessionStore`` with a leaner read of the session row."""

    def _get_session_from_db(self) -> Session | None:
        using = router.db_for_read(self.model)
        connection = connections[using]
        table = connection.ops.quote_name(self.model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            # As Django's store does for a missing or expired session: forget the key, a new one is made on save.
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])
