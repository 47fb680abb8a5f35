"""Password-reset mails are throttled per address and per client address, without telling who has an account."""

from django.core import mail
from django.test import Client

from dinghuo.accounts.roles import Role

URL = "/accounts/password/reset/"
REFUSED = "Too many password reset requests"


def _ask(client: Client, email: str, **headers):
    return client.post(URL, {"email": email}, HTTP_ACCEPT_LANGUAGE="en", **headers)


def test_reset_mails_to_one_address_are_throttled(world, settings):
    # given a limit of three requests per address in the window
    settings.LOGIN_THROTTLE_LIMIT = 3
    email = world.user(Role.FINANCE).email
    # when the reset is asked for three times, from three different clients
    for i in range(3):
        response = _ask(Client(REMOTE_ADDR=f"192.0.2.{i + 1}"), email)
        assert response.status_code == 302 and response.url == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 3
    # then the fourth is refused with a message, and no mail goes out
    response = _ask(Client(REMOTE_ADDR="192.0.2.9"), email.upper())
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert len(mail.outbox) == 3


def test_an_address_without_an_account_is_answered_alike(world, settings):
    # given the same number of requests for an address nobody has and for a user's address
    settings.LOGIN_THROTTLE_LIMIT = 2
    known, unknown = world.user(Role.FINANCE).email, "nobody-here@example.com"
    answers = {}
    for email in (known, unknown):
        c = Client()
        answers[email] = [_ask(c, email) for _ in range(3)]
    # then both get the same redirects, then the same refusal: nothing tells them apart
    for email in (known, unknown):
        first, second, third = answers[email]
        assert (first.status_code, second.status_code) == (302, 302)
        assert third.status_code == 200 and REFUSED in third.content.decode()
    assert len(mail.outbox) == 2 and all(m.to == [known] for m in mail.outbox)


def test_behind_a_proxy_one_client_cannot_flood_inboxes(world, settings):
    # given a deployment behind a reverse proxy that names the client in X-Forwarded-For
    settings.LOGIN_THROTTLE_LIMIT = 1  # so four requests from one address throttle it
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    email = world.user(Role.OWNER).email
    # when one client asks for four different addresses (the proxy appends the real address)
    for i in range(4):
        assert _ask(Client(), f"victim{i}@example.com", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.7").status_code == 302
    # then that client is refused, even for an address it never tried
    refused = _ask(Client(), email, HTTP_X_FORWARDED_FOR="10.0.0.7")
    assert REFUSED in refused.content.decode()
    assert mail.outbox == []
    # and a colleague arriving through the same proxy still gets the mail
    assert _ask(Client(), email, HTTP_X_FORWARDED_FOR="10.0.0.8").status_code == 302
    assert [m.to for m in mail.outbox] == [[email]]


def test_the_refusal_is_in_chinese_on_a_chinese_page(world, settings):
    settings.LOGIN_THROTTLE_LIMIT = 1
    c = Client()
    c.post(URL, {"email": "someone@example.com"})
    body = c.post(URL, {"email": "someone@example.com"}).content.decode()
    assert REFUSED not in body
    assert "密码重置请求过多" in body
