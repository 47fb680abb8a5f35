import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from dinghuo.core.audit import AuditEvent, audit_verify, audit_write
from dinghuo.core.models import AuditChainHead, AuditEntry
from dinghuo.core.tenancy import tenant_context
from tests.factories import make_tenant


def _write(tenant, n):
    with tenant_context(tenant):
        for i in range(n):
            with transaction.atomic():
                audit_write(events=[AuditEvent(action="thing.changed", obj_type="thing", obj_id=i, after={"n": i})])


@pytest.fixture
def tenant(db, settings):
    settings.AUDIT_STREAMS = 2
    t = make_tenant("audited")
    _write(t, 20)
    return t


def test_an_intact_log_verifies(tenant):
    checked, problem = audit_verify(tenant.pk)
    assert problem is None
    assert checked == AuditEntry.unscoped.filter(tenant=tenant).count() == 21  # + tenant.created


def test_audit_write_needs_the_callers_transaction(transactional_db):
    tenant = make_tenant("outside")
    with tenant_context(tenant), pytest.raises(RuntimeError):
        audit_write(events=[AuditEvent(action="x", obj_type="x", obj_id=1)])


def test_an_edited_row_is_named(tenant):
    # given an intact chain
    victim = AuditEntry.unscoped.filter(tenant=tenant, stream=0).order_by("seq")[3]
    # when a row's contents are edited behind the application's back
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AuditEntry._meta.db_table} SET action = %s WHERE id = %s", ["thing.forged", victim.pk])
    # then verify names exactly that row
    _, problem = audit_verify(tenant.pk)
    assert problem is not None
    assert problem.entry_id == victim.pk
    assert "edited" in problem.problem


def test_a_deleted_row_is_named(tenant):
    rows = list(AuditEntry.unscoped.filter(tenant=tenant, stream=1).order_by("seq"))
    victim = rows[2]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [victim.pk])
    _, problem = audit_verify(tenant.pk)
    assert problem is not None
    assert (problem.stream, problem.seq) == (1, victim.seq)
    assert "deleted" in problem.problem


def test_a_deleted_last_row_is_caught_by_the_head(tenant):
    last = AuditEntry.unscoped.filter(tenant=tenant, stream=0).order_by("-seq").first()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [last.pk])
    _, problem = audit_verify(tenant.pk)
    assert problem is not None and "deleted" in problem.problem


def test_a_recomputed_forgery_breaks_the_next_link(tenant):
    # Someone who edits a row and recomputes its hash still breaks the following row's link.
    from dinghuo.core.audit import _digest

    row = AuditEntry.unscoped.filter(tenant=tenant, stream=0).order_by("seq")[2]
    row.after = {"n": 999}
    forged = _digest(row)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEntry._meta.db_table} SET after = %s, hash = %s WHERE id = %s",
            ['{"n": 999}', forged, row.pk],
        )
    _, problem = audit_verify(tenant.pk)
    assert problem is not None
    assert problem.seq == row.seq + 1 and "link" in problem.problem


def test_verify_command_fails_loudly_on_a_broken_chain(tenant, capsys):
    call_command("audit", "verify")
    assert "every chain intact" in capsys.readouterr().out
    head = AuditChainHead.unscoped.filter(tenant=tenant).first()
    AuditChainHead.unscoped.filter(pk=head.pk).update(seq=head.seq + 5)
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    assert "BROKEN" in capsys.readouterr().out


def test_verify_command_names_a_row_edited_with_raw_sql(tenant, capsys):
    # given a row whose reason is rewritten behind the application's back
    victim = AuditEntry.unscoped.filter(tenant=tenant, stream=1).order_by("seq")[4]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AuditEntry._meta.db_table} SET reason = %s WHERE id = %s", ["edited", victim.pk])
    # when `dinghuo audit verify` runs
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--tenant", tenant.code)
    # then it names the tenant, the chain, the position and the row
    out = capsys.readouterr().out
    assert f"BROKEN  {tenant.code}: tenant {tenant.pk} chain 1 position {victim.seq} (audit entry #{victim.pk})" in out
    assert "contents edited" in out
