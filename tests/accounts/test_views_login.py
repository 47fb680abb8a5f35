import re

from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from dinghuo.accounts.models import User
from dinghuo.accounts.roles import Role
from dinghuo.accounts.services import user_disable
from dinghuo.core.tenancy import tenant_context
from tests.factories import PASSWORD


def test_staff_sign_in_lands_on_the_back_office_and_dealers_on_the_portal(world, login):
    staff = login(world.user(Role.OWNER), Client())
    assert staff.get("/").url == "/bo/"
    assert staff.get("/bo/").status_code == 200
    dealer = login(world.user(Role.BUYER), Client())
    assert dealer.get("/").url == "/portal/"
    assert dealer.get("/portal/").status_code == 200


def test_wrong_password_is_refused_with_a_message(world, client):
    response = client.post("/accounts/login/", {"username": world.user(Role.OWNER).username, "password": "nope"})
    assert response.status_code == 200
    assert "login-error" in response.content.decode()


def test_failed_sign_ins_are_throttled(world, settings):
    settings.LOGIN_THROTTLE_LIMIT = 3
    username = world.user(Role.OWNER).username
    c = Client()
    for _ in range(3):
        c.post("/accounts/login/", {"username": username, "password": "wrong"})
    # even the right password is refused while throttled
    response = c.post("/accounts/login/", {"username": username, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in c.session


def test_disabling_a_user_ends_its_sessions(world, login):
    # given a dealer buyer signed in on two devices
    buyer = world.dealer_users[Role.BUYER]
    phone, laptop = login(buyer.user, Client()), login(buyer.user, Client())
    assert phone.get("/portal/").status_code == 200
    sessions_before = Session.objects.count()
    # when the dealer admin disables them
    with tenant_context(world.tenant):
        user_disable(actor=world.actor(Role.DEALER_ADMIN), membership=buyer)
    # then both sessions are gone and they cannot sign in again
    assert Session.objects.count() == sessions_before - 2
    for c in (phone, laptop):
        assert c.get("/portal/").status_code == 302
    assert not User.objects.get(pk=buyer.user_id).is_active
    assert Client().post("/accounts/login/", {"username": buyer.user.username, "password": PASSWORD}).status_code == 200


def test_password_change_and_reset_by_mail(world, login):
    user = world.user(Role.FINANCE)
    c = login(user, Client())
    response = c.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Another-pass-123", "new_password2": "Another-pass-123"},
    )
    assert response.status_code == 302
    # reset by e-mail
    anon = Client()
    anon.post("/accounts/password/reset/", {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = anon.get(link).url  # Django redirects to the set-password form
    response = anon.post(form_url, {"new_password1": "Third-pass-456!", "new_password2": "Third-pass-456!"})
    assert response.status_code == 302
    assert anon.post("/accounts/login/", {"username": user.username, "password": "Third-pass-456!"}).status_code == 302


def test_the_admin_sign_in_is_throttled_too(db, settings):
    # given a superuser, and an attacker who turns to /admin/login/ instead of the sign-in page
    settings.LOGIN_THROTTLE_LIMIT = 3
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    c = Client()
    for _ in range(3):
        c.post("/admin/login/", {"username": "root", "password": "wrong", "next": "/admin/"})
    # when the right password follows
    response = c.post(
        "/admin/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    # then it is refused like on the sign-in page
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in c.session


def test_the_admin_sign_in_still_works(db):
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    response = Client().post("/admin/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"


def test_a_too_short_password_is_refused_in_chinese(world, login):
    # given a signed-in user changing their password on a Chinese page
    c = login(world.user(Role.FINANCE), Client())
    # when the new password is too short
    response = c.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "a1#", "new_password2": "a1#"})
    # then the reason is shown in Chinese (Django 5.2's own message has no zh-Hans translation)
    body = response.content.decode()
    assert response.status_code == 200
    assert "This password is too short" not in body
    assert "密码太短" in body


def test_behind_a_proxy_one_guesser_does_not_lock_everyone_out(world, settings):
    # given a deployment behind a reverse proxy that names the client in X-Forwarded-For
    settings.LOGIN_THROTTLE_LIMIT = 1  # so 4 failures from one address throttle it
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    guesser, colleague = Client(), Client()
    # when one client fails with four different usernames (the proxy appends the real address)
    for i in range(4):
        guesser.post(
            "/accounts/login/", {"username": f"guess{i}", "password": "x"}, HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.7"
        )
    # then that client is throttled, even for a username it never tried
    refused = guesser.post(
        "/accounts/login/",
        {"username": world.user(Role.ADMIN).username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="10.0.0.7",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Too many failed sign-ins" in refused.content.decode()
    # and a colleague arriving through the same proxy still signs in
    response = colleague.post(
        "/accounts/login/",
        {"username": world.user(Role.OWNER).username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="10.0.0.8",
    )
    assert response.status_code == 302
