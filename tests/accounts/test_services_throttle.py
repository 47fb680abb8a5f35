import datetime as dt

import pytest
from django.utils import timezone

from dinghuo.accounts.errors import LoginThrottled
from dinghuo.accounts.models import LoginAttempt
from dinghuo.accounts.services import login_check_throttle, login_record_failure


def _attempt(username: str, *, age: int, kind: str = LoginAttempt.Kind.LOGIN) -> LoginAttempt:
    row = LoginAttempt.objects.create(kind=kind, username=username, ip="203.0.113.9")
    LoginAttempt.objects.filter(pk=row.pk).update(at=timezone.now() - dt.timedelta(seconds=age))
    return row


def test_a_failed_sign_in_prunes_the_attempts_older_than_the_window(db, settings):
    # given a 15-minute window, attempts of both kinds from before it and a failure within it
    settings.LOGIN_THROTTLE_WINDOW = 900
    _attempt("ghost", age=3 * 86400)
    _attempt("ghost@example.com", age=901, kind=LoginAttempt.Kind.PASSWORD_RESET)
    recent = _attempt("alice", age=60)
    # when someone else fails to sign in
    login_record_failure(username="bob", ip="198.51.100.7")
    # then the stale rows are gone, the ones throttling still counts are kept
    assert sorted(LoginAttempt.objects.values_list("username", flat=True)) == ["alice", "bob"]
    assert LoginAttempt.objects.filter(pk=recent.pk).exists()


def test_pruning_is_one_statement_and_keeps_the_throttle_working(db, settings, django_assert_num_queries):
    # given three recent failures for one username (the limit) and many stale ones
    settings.LOGIN_THROTTLE_LIMIT = 3
    for i in range(20):
        _attempt(f"old{i}", age=7200)
    for _ in range(2):
        login_record_failure(username="alice", ip=None)
    # when the third failure is recorded: one DELETE and one INSERT, however many rows aged out
    with django_assert_num_queries(2):
        login_record_failure(username="alice", ip=None)
    # then alice is still throttled, and nothing stale is left
    with pytest.raises(LoginThrottled):
        login_check_throttle(username="alice", ip=None)
    assert LoginAttempt.objects.count() == 3
