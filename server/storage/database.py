"""One thin adapter over SQLite (``sqlite3``) and PostgreSQL (``psycopg``) (docs/server.md).

The server's SQL is written once, in the subset both engines read the same way: ``?``
placeholders (turned into psycopg's ``%s`` here), ``TEXT``, ``BIGINT``/``INTEGER`` and ``BYTEA``
columns (SQLite stores a ``BYTEA`` value as the blob it is given), ``INSERT ... ON CONFLICT``,
no engine-specific function. Code reaches the database only through ``Database.transaction``:

    with database.transaction(write=True) as tx:
        tx.execute("INSERT INTO ...", (a, b))
        row = tx.query_one("SELECT ...", (c,))

Both or neither: a block that raises rolls back. A block of one statement may say so,
``transaction(single=True)``: it runs without ``BEGIN`` and ``COMMIT`` (the statement is its own
transaction, a snapshot of its own), one round trip instead of three on PostgreSQL, and a second
statement in it raises. SQLite write transactions start with
``BEGIN IMMEDIATE`` (one writer at a time, the others wait up to the busy timeout); read
transactions see one snapshot (WAL). PostgreSQL read transactions run ``REPEATABLE READ, READ
ONLY`` (one snapshot, no write by mistake); write transactions run ``READ COMMITTED`` and rely on
unique constraints and ``ON CONFLICT`` for races (the nonce insert is the model).

Connections are reused through a small pool, and a connection left in an unknown state (a lost
PostgreSQL connection, an unfinished transaction) is closed instead of reused. Lost or busy
databases raise ``DatabaseUnavailable`` (the API answers 503); broken SQL raises as it is.
PostgreSQL sessions run with ``lock_timeout`` and ``statement_timeout`` (``Database.open``): a
statement that waits or runs longer is cancelled and raises ``DatabaseBusy`` (a 503 too).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    import psycopg

SqlValue = str | int | bytes | None
Row = tuple[SqlValue, ...]

SQLITE_PREFIX: Final = "sqlite:///"
POSTGRESQL_SCHEMES: Final = ("postgresql", "postgres")
DEFAULT_BUSY_TIMEOUT: Final = 10.0
DEFAULT_MAX_IDLE: Final = 8
DEFAULT_LOCK_TIMEOUT: Final = 5.0  # seconds: PostgreSQL lock_timeout
DEFAULT_STATEMENT_TIMEOUT: Final = 30.0  # seconds: PostgreSQL statement_timeout
_SQLITE_UNAVAILABLE: Final = ("locked", "busy", "unable to open", "disk i/o", "readonly", "full")


class Backend(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class DatabaseError(Exception):
    """A storage failure worth telling the operator; the message never holds a password."""


class DatabaseUrlError(DatabaseError, ValueError):
    """A database URL this server cannot use."""


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached now (down, lost, busy): the request may be retried."""


class DatabaseBusy(DatabaseUnavailable):
    """A statement waited past PostgreSQL's lock_timeout or ran past its statement_timeout: it
    was cancelled and its transaction rolled back; the request may be retried."""


class ConstraintViolation(DatabaseError):
    """A write broke a unique, check or foreign-key constraint (the same on both engines)."""


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database URL: ``sqlite:///relative/file.db``, ``sqlite:////absolute/file.db``,
    or any libpq URL ``postgresql://user[:password]@host[:port]/dbname[?host=/socket/dir]``."""

    backend: Backend
    target: str  # SQLite: the file path; PostgreSQL: the URL as given, for libpq

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.redacted()!r})"

    def __str__(self) -> str:
        return self.redacted()

    def redacted(self) -> str:
        """The URL fit for logs and messages: any password replaced by ``***``."""
        if self.backend is Backend.SQLITE:
            return SQLITE_PREFIX + self.target
        parts = urlsplit(self.target)
        netloc = parts.netloc
        if parts.password is not None:
            userinfo, _, hostinfo = netloc.rpartition("@")
            netloc = f"{userinfo.partition(':')[0]}:***@{hostinfo}"
        query = urlencode(
            [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)], safe="/"
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_database_url(text: str) -> DatabaseUrl:
    """``DatabaseUrlError`` names what is wrong; the message never repeats a password."""
    if text.startswith(SQLITE_PREFIX):
        path = text[len(SQLITE_PREFIX) :]
        if not path or path == ":memory:" or "?" in path:
            raise DatabaseUrlError(
                "a SQLite URL names a file: sqlite:///relative/path.db or sqlite:////absolute.db"
            )
        return DatabaseUrl(Backend.SQLITE, path)
    scheme = text.partition("://")[0].lower()
    if scheme in POSTGRESQL_SCHEMES and "://" in text:
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise DatabaseUrlError("not a valid PostgreSQL URL") from None
        if not parts.path.strip("/"):
            raise DatabaseUrlError("a PostgreSQL URL names its database: postgresql://host/dbname")
        return DatabaseUrl(Backend.POSTGRESQL, text)
    raise DatabaseUrlError(
        "expected sqlite:///path/to/file.db or postgresql://user@host/dbname "
        f"(got a URL starting {text.partition(':')[0][:20]!r})"
    )


class _Connection(Protocol):
    def begin(self, *, write: bool) -> None: ...
    def run(
        self, sql: str, params: Sequence[SqlValue], *, fetch: bool
    ) -> tuple[int, list[Row]]: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...  # never raises: closes the connection instead
    def reusable(self) -> bool: ...
    def close(self) -> None: ...


class Transaction:
    """Statements inside one transaction; handed out by ``Database.transaction`` only."""

    def __init__(self, connection: _Connection, backend: Backend, *, single: bool = False) -> None:
        self._connection = connection
        self.backend = backend
        self._statements_left = 1 if single else -1  # -1: no limit

    def execute(self, sql: str, params: Sequence[SqlValue] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        count, _ = self._run(sql, params, fetch=False)
        return count

    def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        return self._run(sql, params, fetch=True)[1]

    def _run(self, sql: str, params: Sequence[SqlValue], *, fetch: bool) -> tuple[int, list[Row]]:
        if self._statements_left == 0:
            raise RuntimeError("a single-statement transaction ran a second statement")
        if self._statements_left > 0:
            self._statements_left -= 1
        return self._connection.run(sql, params, fetch=fetch)

    def query_one(self, sql: str, params: Sequence[SqlValue] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def table_exists(self, name: str) -> bool:
        """Whether table ``name`` exists (the one question each engine asks its own way)."""
        if self.backend is Backend.SQLITE:
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        else:
            sql = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
        return self.query_one(sql, (name,)) is not None

    def table_names(self) -> set[str]:
        if self.backend is Backend.SQLITE:
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        return {str(row[0]) for row in self.query(sql)}


class Database:
    """A pool of connections to one database, and its transactions."""

    def __init__(
        self,
        url: DatabaseUrl,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        max_idle: int = DEFAULT_MAX_IDLE,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
    ) -> None:
        self.url = url
        self.backend = url.backend
        self._busy_timeout = busy_timeout
        self._timeouts = (lock_timeout, statement_timeout)
        self._max_idle = max_idle
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(
        cls,
        url: str | DatabaseUrl,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        max_idle: int = DEFAULT_MAX_IDLE,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
    ) -> Database:
        """A database from its URL; nothing is connected until the first transaction.
        ``lock_timeout`` and ``statement_timeout`` (seconds) bound each PostgreSQL statement."""
        parsed = parse_database_url(url) if isinstance(url, str) else url
        return cls(
            parsed,
            busy_timeout=busy_timeout,
            max_idle=max_idle,
            lock_timeout=lock_timeout,
            statement_timeout=statement_timeout,
        )

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.url.redacted()!r})"

    @contextmanager
    def transaction(self, *, write: bool = False, single: bool = False) -> Iterator[Transaction]:
        """``single``: the block runs one statement, its own transaction (autocommit), with no
        ``BEGIN`` or ``COMMIT`` around it: a read sees one snapshot, a write commits durably on
        its own. ``write`` changes nothing then (SQLite takes its write lock for the statement,
        waiting up to the busy timeout)."""
        connection = self._acquire()
        committed = False
        try:
            if not single:
                connection.begin(write=write)
            yield Transaction(connection, self.backend, single=single)
            if not single:
                connection.commit()
            committed = True
        finally:
            if not committed:
                connection.rollback()
            self._release(connection)

    def ping(self) -> None:
        """``DatabaseUnavailable`` unless the database answers a query."""
        with self.transaction() as tx:
            tx.query_one("SELECT 1")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _acquire(self) -> _Connection:
        with self._lock:
            if self._closed:
                raise DatabaseUnavailable("the database connection pool is closed")
            if self._idle:
                return self._idle.pop()
        if self.backend is Backend.SQLITE:
            return _SqliteConnection.connect(self.url, self._busy_timeout)
        return _PostgresConnection.connect(self.url, self._busy_timeout, self._timeouts)

    def _release(self, connection: _Connection) -> None:
        keep = False
        if connection.reusable():
            with self._lock:
                if not self._closed and len(self._idle) < self._max_idle:
                    self._idle.append(connection)
                    keep = True
        if not keep:
            connection.close()


class _SqliteConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._closed = False

    @classmethod
    def connect(cls, url: DatabaseUrl, busy_timeout: float) -> _SqliteConnection:
        path = Path(url.target)
        if not path.parent.is_dir():
            raise DatabaseUnavailable(f"{url}: the folder {path.parent} does not exist")
        try:
            # isolation_level=None: transactions are ours (BEGIN ... COMMIT), never implicit.
            connection = sqlite3.connect(
                path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"{url}: cannot open ({exc})") from None
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")  # a ballot box: durable on commit
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            connection.close()
            raise DatabaseUnavailable(f"{url}: not a usable SQLite database ({exc})") from None
        return cls(connection)

    def begin(self, *, write: bool) -> None:
        self.run("BEGIN IMMEDIATE" if write else "BEGIN", (), fetch=False)

    def run(self, sql: str, params: Sequence[SqlValue], *, fetch: bool) -> tuple[int, list[Row]]:
        try:
            cursor = self._connection.execute(sql, tuple(params))
            rows = cursor.fetchall() if fetch else []
            return cursor.rowcount, rows
        except sqlite3.IntegrityError as exc:
            raise ConstraintViolation(str(exc)) from None
        except sqlite3.OperationalError as exc:
            if any(word in str(exc).lower() for word in _SQLITE_UNAVAILABLE):
                raise DatabaseUnavailable(f"SQLite: {exc}") from None
            raise

    def commit(self) -> None:
        self.run("COMMIT", (), fetch=False)

    def rollback(self) -> None:
        """Never raises: a connection that cannot roll back is closed instead."""
        try:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
        except sqlite3.Error:
            self.close()

    def reusable(self) -> bool:
        return not self._closed and not self._connection.in_transaction

    def close(self) -> None:
        self._closed = True
        self._connection.close()


class _PostgresConnection:
    def __init__(self, connection: psycopg.Connection[tuple[SqlValue, ...]]) -> None:
        self._connection = connection

    @classmethod
    def connect(
        cls, url: DatabaseUrl, timeout: float, limits: tuple[float, float]
    ) -> _PostgresConnection:
        import psycopg  # only PostgreSQL deployments load the driver

        lock_ms, statement_ms = (max(1, round(limit * 1000)) for limit in limits)
        try:
            # autocommit: psycopg opens no transaction of its own; ours are explicit BEGINs.
            connection = psycopg.connect(
                url.target,
                autocommit=True,
                connect_timeout=max(2, int(timeout)),
                application_name="isoloir-server",
                options=f"-c lock_timeout={lock_ms} -c statement_timeout={statement_ms}",
            )
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatabaseUnavailable(f"cannot connect to {url}: {reason}") from None
        return cls(connection)

    def begin(self, *, write: bool) -> None:
        read_only = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
        self.run("BEGIN" if write else read_only, (), fetch=False)

    def run(self, sql: str, params: Sequence[SqlValue], *, fetch: bool) -> tuple[int, list[Row]]:
        import psycopg

        query = sql.replace("%", "%%").replace("?", "%s") if params else sql
        try:
            cursor = self._connection.execute(query.encode("utf-8"), tuple(params))
            rows = cursor.fetchall() if fetch else []
            return cursor.rowcount, rows
        except psycopg.IntegrityError as exc:
            raise ConstraintViolation(_first_line(exc)) from None
        except psycopg.errors.LockNotAvailable:
            raise DatabaseBusy(
                "the database is busy: a lock was not granted within lock_timeout"
            ) from None
        except psycopg.errors.QueryCanceled:
            raise DatabaseBusy(
                "the database is busy: a statement ran past statement_timeout"
            ) from None
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(f"PostgreSQL: {_first_line(exc)}") from None

    def commit(self) -> None:
        self.run("COMMIT", (), fetch=False)

    def rollback(self) -> None:
        """Never raises: a connection that cannot roll back is closed instead."""
        import psycopg
        import psycopg.pq

        try:
            if self._connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                self._connection.execute(b"ROLLBACK")
        except psycopg.Error:
            self.close()

    def reusable(self) -> bool:
        import psycopg.pq

        return (
            not self._connection.closed
            and self._connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )

    def close(self) -> None:
        self._connection.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
