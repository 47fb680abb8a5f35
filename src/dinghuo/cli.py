"""The ``dinghuo`` command: a thin wrapper over Django's management commands.

dinghuo serve [--host 127.0.0.1] [--port 8000] [--workers N] [--threads N]
dinghuo setup            migrate, compile translations, collect static files
dinghuo migrate          apply database migrations
dinghuo demo [--reset]   load the demo tenants and print their logins
dinghuo createtenant     create a tenant and its owner
dinghuo audit verify     check every tenant's audit hash chains
dinghuo worker           run background tasks (imports, reports, webhooks)
dinghuo <anything else>  any Django management command (shell, dbshell, …)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dinghuo.config.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 2) -> None:
    print(f"dinghuo: {message}", file=sys.stderr)
    raise SystemExit(code)


def _check_database() -> None:
    """Fail early, with a plain message, when the database is unreachable or not migrated."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        db = connection.settings_dict
        where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db.get('HOST')}:{db.get('PORT')}/{db['NAME']}"
        _fail(f"cannot reach the database ({where}): {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}")
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        _fail("the database is not migrated; run `dinghuo migrate` first")


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="dinghuo serve", description="Serve Dinghuo with gunicorn.")
    parser.add_argument("--host", default=os.environ.get("DINGHUO_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DINGHUO_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("DINGHUO_WORKERS", "0")) or None)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("DINGHUO_THREADS", "4")))
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    workers = args.workers or max(2, (os.cpu_count() or 1) * 2)
    _django_setup()
    _check_database()
    from django.conf import settings

    if settings.PRODUCTION and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        # Production pages name their static files through the collected manifest.
        _fail("static files are not collected; run `dinghuo setup` first")

    env = dict(os.environ)
    env["DINGHUO_DB_POOL"] = env.pop("DINGHUO_SERVE_DB_POOL", "1")
    # One pooled connection per worker thread; the pool bounds what a burst can take.
    env.setdefault("DINGHUO_DB_POOL_MAX", str(args.threads))
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        _check_connection_budget(workers * int(env["DINGHUO_DB_POOL_MAX"]))
    shown = "127.0.0.1" if args.host in {"0.0.0.0", "::"} else args.host  # noqa: S104 (a listen-all bind is shown as local)
    url = f"http://{shown}:{args.port}/"
    print(f"Dinghuo is serving at {url}  ({workers} workers × {args.threads} threads; Ctrl+C stops)", flush=True)
    _print_demo_logins()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "dinghuo.config.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread" if args.threads > 1 else "sync",
        "--timeout",
        str(args.timeout),
        "--graceful-timeout",
        "20",
        "--backlog",
        "2048",
        "--error-logfile",
        "-",
    ]
    if args.access_log:
        cmd += ["--access-logfile", "-"]
    from django.db import connections

    connections.close_all()
    sys.stdout.flush()
    # Become gunicorn, so that a supervisor's SIGTERM reaches its arbiter, which stops the workers;
    # a wrapper process dying alone would leave them orphaned and serving.
    os.execve(sys.executable, cmd, env)  # noqa: S606 — our own interpreter, arguments built above


def _check_connection_budget(wanted: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
    if wanted > limit - 10:
        _fail(
            f"{wanted} pooled connections would exceed PostgreSQL's max_connections={limit} "
            "(keep 10 spare); lower --workers, --threads or DINGHUO_DB_POOL_MAX"
        )


def _print_demo_logins() -> None:
    try:
        from dinghuo.demo.logins import print_logins

        print_logins()
    except Exception as exc:  # the banner must never stop the server from starting
        print(f"(demo logins unavailable: {exc})", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    from django.core.exceptions import ImproperlyConfigured

    # Commands run on one connection; only the server's worker processes use the pool.
    serve_pool = os.environ.get("DINGHUO_DB_POOL", "1")
    os.environ["DINGHUO_DB_POOL"] = "0"
    os.environ["DINGHUO_SERVE_DB_POOL"] = serve_pool
    try:
        if argv[0] == "serve":
            serve(argv[1:])
            return
        if argv[0] == "worker":
            # The task worker runs every queue: imports, reports and the webhook delivery rounds
            # (notify/tasks.py). Beside it, a thread of this process is the webhooks' safety net: it
            # enqueues a round whenever something is due and none is queued (notify/dispatch.py).
            _django_setup()
            from django.core.management import execute_from_command_line

            from dinghuo.notify.dispatch import start_safety_net

            start_safety_net()
            execute_from_command_line(["dinghuo", "db_worker", "--queue-name", "*", *argv[1:]])
            return
        if argv[0] == "setup":
            _django_setup()
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=1)
            call_command("compilemessages", verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            print("dinghuo: database migrated, translations compiled, static files collected")
            return
        _django_setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["dinghuo", *argv])
    except ImproperlyConfigured as exc:
        _fail(str(exc))
    except Exception as exc:
        from django.db import DatabaseError, OperationalError

        if isinstance(exc, DatabaseError) and argv[0] not in {"migrate", "setup"} and _not_migrated():
            # "no such table" (SQLite) or "relation … does not exist" (PostgreSQL) on a fresh database
            _fail("the database is not migrated; run `dinghuo migrate` first")
        if isinstance(exc, OperationalError):
            _fail(f"database error: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}")
        raise


def _not_migrated() -> bool:
    try:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        connection.close()  # the failed statement may have left the connection unusable
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except Exception:
        return False


if __name__ == "__main__":
    main()
