"""`dinghuo createtenant`: bad input gets a plain message naming the problem and leaves nothing behind."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from dinghuo.accounts.models import User
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import all_tenants
from dinghuo.tenancy.models import Tenant

GOOD = "Long-pass-123"


def create(*args, **options):
    with translation.override("en"):
        call_command("createtenant", *args, **options)


def counts():
    with all_tenants():
        return Tenant.objects.count(), User.objects.count(), AuditEntry.objects.count()


def test_a_tenant_and_its_owner_are_created(db, capsys):
    create("acme", "阿克米饮料", owner="acme-boss", password=GOOD)
    assert "Created tenant acme" in capsys.readouterr().out
    tenant = Tenant.objects.get(code="acme")
    with all_tenants():
        assert User.objects.get(username="acme-boss").memberships.get().role == "owner"
        assert AuditEntry.objects.filter(tenant=tenant, action="membership.created").exists()


@pytest.mark.parametrize(
    ("args", "owner", "password", "says"),
    [
        (("acme", "Again"), "someone-else", GOOD, "A tenant with code “acme” already exists."),
        (("ACME", "Again"), "someone-else", GOOD, "A tenant with code “acme” already exists."),
        (("acme2", "Two"), "acme-boss", GOOD, "The username “acme-boss” is already taken."),
        (("1acme", "Bad"), "b", GOOD, "is not a valid tenant code"),
        (("acme3", "  "), "c", GOOD, "name: This field is required."),
        (("acme4", "Four"), "bad user!", GOOD, "username: Enter a valid username"),
        (("acme5", "Five"), "e", "123", "password: This password is too short"),
    ],
)
def test_bad_input_is_named_and_nothing_is_half_written(db, args, owner, password, says):
    # given an existing tenant acme with owner acme-boss
    create("acme", "阿克米饮料", owner="acme-boss", password=GOOD)
    before = counts()
    # when a second tenant is created with a taken code or username, or a bad code, name or password
    with pytest.raises(CommandError) as info:
        create(*args, owner=owner, password=password)
    # then the message names the problem and neither a tenant, a user nor an audit row was left behind
    assert says in str(info.value)
    assert counts() == before


def test_an_empty_password_is_refused(db, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "")
    with pytest.raises(CommandError, match="needs a password"):
        create("acme", "阿克米饮料", owner="acme-boss")
    assert counts()[0] == 0


def test_the_dinghuo_command_says_when_the_database_is_not_migrated(tmp_path):
    # given a fresh data directory whose SQLite database has no tables yet
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL"}}
    env["DINGHUO_DATA_DIR"] = str(tmp_path)
    # when a command that needs the tables runs
    out = subprocess.run(
        [sys.executable, "-m", "dinghuo.cli", "createtenant", "acme", "Acme", "--owner", "a", "--password", GOOD],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it says what to do, instead of "no such table" or a traceback
    assert out.returncode == 2
    assert out.stderr.strip() == "dinghuo: the database is not migrated; run `dinghuo migrate` first"
