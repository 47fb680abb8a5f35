import pytest
from django.db import connection

from dinghuo.core.tenancy import all_tenants, tenant_context
from tests.factories import PASSWORD, make_world


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def world(db):
    """Tenant A: staff in every role, a dealer with users in every dealer role, and a sub-dealer."""
    with all_tenants():
        return make_world("alpha")


def bump_ids(gap: int) -> None:
    """Move every table's next id ``gap`` past its current one, so tenant B's ids never equal A's.

    (PostgreSQL sequences are not rolled back with a test's transaction, so the jump is relative.)
    """
    from django.apps import apps

    with connection.cursor() as cursor:
        for model in apps.get_models():
            table, pk = model._meta.db_table, model._meta.pk
            if pk.get_internal_type() not in {"AutoField", "BigAutoField"}:
                continue
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk.column])
                seq = cursor.fetchone()[0]
                if seq:
                    cursor.execute("SELECT setval(%s, (SELECT last_value FROM " + seq + ") + %s)", [seq, gap])
            elif connection.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, (row[0] if row else 0) + gap]
                )


@pytest.fixture
def world_b(db, world):
    """Tenant B, built the same way after A, with ids far from A's: what A must never see or touch."""
    bump_ids(100_000)
    with all_tenants():
        return make_world("beta")


@pytest.fixture
def login(client):
    """login(user) → a Django test client signed in as that user through the real login page."""

    def _login(user, c=None):
        c = c or client
        response = c.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        return c

    return _login


@pytest.fixture
def in_tenant():
    return tenant_context


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
