"""Settings are read once per process, so each case runs a fresh interpreter with its own environment."""

import os
import stat
import subprocess
import sys

import pytest

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'key': s.SECRET_KEY, 'engine': s.DATABASES['default']['ENGINE'], "
    "'options': {k: v for k, v in s.DATABASES['default'].get('OPTIONS', {}).items()}, "
    "'secure': s.SESSION_COOKIE_SECURE, 'hsts': getattr(s, 'SECURE_HSTS_SECONDS', 0), "
    "'csp': 'dinghuo.core.middleware.ContentSecurityPolicyMiddleware' in s.MIDDLEWARE, "
    "'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE, 'hashers': s.PASSWORD_HASHERS[0]}, default=str))"
)


def run(tmp_path, **env):
    base = {
        k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL", "SECRET_KEY", "DINGHUO_ENV"}
    }
    base.update({"DJANGO_SETTINGS_MODULE": "dinghuo.config.settings", "DINGHUO_DATA_DIR": str(tmp_path)})
    base.update(env)
    return subprocess.run([sys.executable, "-c", PROBE], env=base, capture_output=True, text=True, timeout=60)


def test_secret_key_is_generated_once_and_kept(tmp_path):
    import json

    first = run(tmp_path)
    assert first.returncode == 0, first.stderr
    second = run(tmp_path)
    key_file = tmp_path / "secret_key"
    assert json.loads(first.stdout)["key"] == json.loads(second.stdout)["key"] == key_file.read_text().strip()
    assert len(key_file.read_text().strip()) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_processes_starting_together_agree_on_one_secret_key(tmp_path):
    """The server and the task worker start at the same moment on a fresh data directory."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        runs = list(pool.map(lambda _: run(tmp_path), range(8)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs if r.returncode]
    keys = {json.loads(r.stdout)["key"] for r in runs}
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_defaults_are_sqlite_wal_chinese_shanghai_argon2(tmp_path):
    import json

    out = run(tmp_path)
    data = json.loads(out.stdout)
    assert data["engine"] == "django.db.backends.sqlite3"
    assert data["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in data["options"]["init_command"]
    assert (data["lang"], data["tz"]) == ("zh-hans", "Asia/Shanghai")
    assert data["hashers"].endswith("Argon2PasswordHasher")
    assert data["secure"] is False


def test_production_turns_on_secure_cookies_hsts_and_csp(tmp_path):
    import json

    out = run(tmp_path, DINGHUO_ENV="production", SECRET_KEY="x" * 40)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["secure"] is True and data["hsts"] >= 31536000 and data["csp"] is True


def test_production_refuses_a_short_secret(tmp_path):
    out = run(tmp_path, DINGHUO_ENV="production", SECRET_KEY="short")
    assert out.returncode != 0
    assert "SECRET_KEY must be at least 32 characters" in out.stderr


def test_postgres_url_gets_a_bounded_pool(tmp_path):
    import json

    out = run(tmp_path, DATABASE_URL="postgres://u:p@db.example:6432/shop", DINGHUO_DB_POOL_MAX="7")
    data = json.loads(out.stdout)
    assert data["engine"] == "django.db.backends.postgresql"
    assert "'max_size': 7" in str(data["options"]["pool"])


def test_postgres_statements_are_prepared_unless_the_url_says_not(tmp_path):
    import json

    # by default parameters travel apart from the text and repeated statements are prepared
    out = run(tmp_path, DATABASE_URL="postgres://u:p@db.example:5432/shop")
    options = json.loads(out.stdout)["options"]
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 2
    # ?prepare=0 (a pooler in transaction mode) sends every statement as text
    out = run(tmp_path, DATABASE_URL="postgres://u:p@db.example:5432/shop?prepare=0")
    options = json.loads(out.stdout)["options"]
    assert "server_side_binding" not in options and "prepare_threshold" not in options


@pytest.mark.django_db
def test_on_postgres_a_statement_run_again_is_prepared_on_its_connection():
    from django.db import connection

    from dinghuo.tenancy.models import Tenant

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # when the same query runs a few times on a connection
    for _ in range(3):
        list(Tenant.objects.filter(code="prepared-probe"))
    # then PostgreSQL holds it prepared
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any('"tenancy_tenant"' in s and "prepared-probe" not in s for s in statements), statements


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root@localhost/x", "scheme 'mysql' is not supported"),
        ("postgres://localhost", "names no database"),
        ("not a url", "has no scheme"),
        ("postgres://u:secret@host:notaport/db", "port is not a number"),
        ("sqlite:////no/such/dir/db.sqlite3", "does not exist"),
    ],
)
def test_an_invalid_database_url_is_named(tmp_path, url, says):
    out = run(tmp_path, DATABASE_URL=url)
    assert out.returncode != 0
    assert says in out.stderr
    assert "secret" not in out.stderr  # passwords are masked


def test_cli_reports_an_unreachable_database_plainly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL"}}
    env.update({"DINGHUO_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"})
    out = subprocess.run(
        [sys.executable, "-m", "dinghuo.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert out.stderr.startswith("dinghuo: database error:")
    assert "Traceback" not in out.stderr


def test_cli_reports_an_invalid_database_url_plainly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL"}}
    env.update({"DINGHUO_DATA_DIR": str(tmp_path), "DATABASE_URL": "oracle://x/y"})
    out = subprocess.run(
        [sys.executable, "-m", "dinghuo.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert "DATABASE_URL" in out.stderr and "Traceback" not in out.stderr


RESPONSES = (
    "import django, json; django.setup(); from django.test import Client; c = Client(); "
    "s = c.get('/healthz', secure=True); p = c.get('/healthz'); r = c.get('/accounts/login/'); "
    "print(json.dumps({'status': s.status_code, 'hsts': s.get('Strict-Transport-Security', ''), "
    "'csp': s.get('Content-Security-Policy', ''), 'nosniff': s.get('X-Content-Type-Options', ''), "
    "'plain_health': p.status_code, 'redirect': [r.status_code, r.get('Location', '')]}))"
)


def test_production_responses_carry_hsts_and_csp_and_redirect_to_https(tmp_path):
    import json

    # given a production process
    env = {
        k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL", "SECRET_KEY", "DINGHUO_ENV"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="dinghuo.config.settings",
        DINGHUO_DATA_DIR=str(tmp_path),
        DINGHUO_ENV="production",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="testserver",
    )
    # when it answers requests over HTTPS and over plain HTTP
    out = subprocess.run([sys.executable, "-c", RESPONSES], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout.strip().splitlines()[-1])
    # then HTTPS answers carry HSTS, a content security policy and nosniff
    assert data["status"] == 200
    assert "max-age=31536000" in data["hsts"] and "includeSubDomains" in data["hsts"]
    assert "default-src 'self'" in data["csp"] and "script-src 'self'" in data["csp"]
    assert data["nosniff"] == "nosniff"
    # and pages asked for over HTTP are sent to HTTPS, except the load balancer's health check
    assert data["redirect"] == [301, "https://testserver/accounts/login/"]
    assert data["plain_health"] == 200
