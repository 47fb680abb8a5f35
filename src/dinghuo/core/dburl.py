"""DATABASE_URL → Django DATABASES entry.

Only the two databases Dinghuo supports: an embedded SQLite file and PostgreSQL via psycopg 3.
Anything else is refused with a message that names the problem, before Django starts.
"""

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SQLITE_INIT = "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=10000;"


def _bad(url: str, why: str) -> ImproperlyConfigured:
    shown = url
    parts = urlsplit(url) if "://" in url else None
    if parts and parts.password:
        shown = url.replace(f":{parts.password}@", ":***@")
    return ImproperlyConfigured(
        f"DATABASE_URL {shown!r} is not usable: {why}. "
        "Use sqlite:///path/to/file.sqlite3 or postgres://user:password@host:5432/dbname"
    )


def parse_database_url(url: str, *, pool: bool = True, pool_max: int = 8, pool_timeout: int = 5) -> dict:
    if "://" not in url:
        raise _bad(url, "it has no scheme")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # As SQLAlchemy and dj-database-url read it: sqlite:///relative.db, sqlite:////absolute.db
        raw = unquote(parts.netloc + parts.path)
        if parts.netloc:
            raise _bad(url, "a SQLite URL has no host; write sqlite:////absolute/path or sqlite:///relative")
        name = raw[1:] if raw.startswith("/") else raw
        if not name:
            raise _bad(url, "the SQLite file path is empty")
        path = Path(name).expanduser().resolve()
        if not path.parent.exists():
            raise _bad(url, f"the directory {str(path.parent)!r} does not exist")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": SQLITE_INIT, "timeout": 20},
            "TEST": {"NAME": None},
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise _bad(url, "it names no database")
        try:
            port = parts.port or 5432
        except ValueError:
            raise _bad(url, "the port is not a number")
        if not parts.hostname:
            raise _bad(url, "it names no host")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        options: dict = {}
        if "sslmode" in query:
            options["sslmode"] = query.pop("sslmode")
        if "pool" in query:
            pool = query.pop("pool").lower() not in {"0", "false", "off", "no"}
        prepare = query.pop("prepare", "1").lower() not in {"0", "false", "off", "no"}
        if query:
            raise _bad(url, f"unknown option(s) {', '.join(sorted(query))}")
        if prepare:
            # Parameters travel apart from the text, and a statement a connection has run twice
            # is prepared: PostgreSQL then skips parsing and planning the order path's fifteen
            # statements (a third of its time per order). ?prepare=0 sends every statement as
            # text, for a pooler in transaction mode that cannot keep prepared statements.
            options["server_side_binding"] = True
            options["prepare_threshold"] = 2
        if pool:
            # Bounded pool per process: a burst queues for a connection (up to the timeout) and
            # then gets a 503 from OverloadMiddleware, never "too many clients" from PostgreSQL.
            options["pool"] = {"min_size": 1, "max_size": max(1, pool_max), "timeout": pool_timeout}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname,
            "PORT": str(port),
            "CONN_MAX_AGE": 0,
            "OPTIONS": options,
        }
    raise _bad(url, f"the scheme {scheme!r} is not supported (only sqlite and postgres)")
