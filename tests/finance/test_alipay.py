"""The Alipay adapter against a local fake of Alipay's gateway (tests/finance/fake_alipay.py): requests
signed so that the fake verifies them with the app's public key; notifications signed by the fake
accepted once; tampered, mis-addressed or wrong-amount notifications refused with nothing applied."""

import urllib.parse
import urllib.request
from decimal import Decimal

import pytest

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance import payments as pay
from dinghuo.finance.errors import NotificationRejected, ProviderUnavailable
from dinghuo.finance.models import Payment, PaymentProvider
from dinghuo.finance.providers.alipay import load_private_key, sign_content
from tests.finance.conftest import ship_on_credit
from tests.finance.fake_alipay import FakeAlipay, bare, new_key, private_pem, public_pem

D = Decimal
APP_ID = "2021000000000001"


@pytest.fixture
def alipay(shop):
    app_key = new_key()
    fake = FakeAlipay(APP_ID, public_pem(app_key))
    gateway = fake.start()
    with tenant_context(shop.tenant):
        PaymentProvider.objects.create(code="alipay", app_id=APP_ID, seller_id=fake.seller_id, gateway=gateway,
                                       app_private_key=bare(private_pem(app_key)),  # as Alipay's key tool gives it
                                       provider_public_key=fake.public_pem)  # fmt: skip
    yield fake
    fake.stop()


def start(shop, amount="72.00", mode="page", *, visit=True):
    """The dealer starts paying online; for page pay, its browser then opens Alipay's cashier."""
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        payment, checkout = pay.payment_start_online(
            actor=dealer_fin, dealer_id=shop.dealer.pk, provider="alipay", amount=D(amount),
            notify_url="https://shop.example.com/portal/finance/pay/notify/alipay/",
            return_url="https://shop.example.com/portal/finance/", mode=mode,
        )  # fmt: skip
    if checkout.kind == "redirect" and visit:
        with urllib.request.urlopen(checkout.url, timeout=5) as response:  # noqa: S310 (the local fake)
            assert response.status == 200
    return payment, checkout


def test_page_pay_is_signed_so_alipay_accepts_it_and_a_signed_notification_pays(shop, alipay):
    receivable = ship_on_credit(shop, 1)[1][0]
    # when the dealer starts paying online
    payment, checkout = start(shop, visit=False)
    # then it is sent to Alipay's cashier with a request the gateway verifies with the app's public key
    assert checkout.kind == "redirect" and checkout.url.startswith("http://127.0.0.1")
    with urllib.request.urlopen(checkout.url, timeout=5) as response:  # noqa: S310 (the local fake)
        assert response.status == 200
    trade = alipay.trades[payment.number]
    assert trade["total_amount"] == "72.00" and trade["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert trade["notify_url"].endswith("/notify/alipay/") and alipay.refused == []
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(checkout.url).query))
    assert query["sign_type"] == "RSA2" and query["charset"] == "utf-8" and query["method"] == "alipay.trade.page.pay"
    # and nothing is paid until Alipay's notification arrives
    assert shop.account().receivable == D("72.00")
    # when Alipay notifies that the buyer paid
    paid = pay.payment_notify(provider="alipay", params=alipay.notification(payment.number))
    # then the payment is confirmed with Alipay's trade number and the receivable settled
    assert paid.status == "confirmed" and paid.provider_trade_no.startswith("2026112222001")
    receivable.refresh_from_db()
    assert receivable.status == "paid" and shop.account().receivable == D("0.00")


def test_precreate_gets_a_qr_code_over_http_with_a_verified_answer(shop, alipay):
    payment, checkout = start(shop, "15.50", mode="qr")
    assert checkout.kind == "qr" and checkout.qr_code == f"https://qr.alipay.com/fake{payment.number}"
    assert alipay.trades[payment.number]["method"] == "alipay.trade.precreate"


def test_a_repeated_notification_applies_the_payment_once(shop, alipay):
    ship_on_credit(shop, 1)
    payment, _ = start(shop, "50.00")
    notice = alipay.notification(payment.number)
    pay.payment_notify(provider="alipay", params=notice)
    pay.payment_notify(provider="alipay", params=dict(notice))
    with tenant_context(shop.tenant):
        assert Payment.objects.get(pk=payment.pk).applications.count() == 1
    assert shop.account().receivable == D("22.00")


@pytest.mark.parametrize("tamper", ["amount", "status", "sign", "sign_type"])
def test_a_tampered_notification_is_refused(shop, alipay, tamper):
    ship_on_credit(shop, 1)
    payment, _ = start(shop, "72.00")
    notice = alipay.notification(payment.number, status="WAIT_BUYER_PAY" if tamper == "status" else "TRADE_SUCCESS")
    if tamper == "amount":
        notice["total_amount"] = "0.01"
    elif tamper == "status":
        notice["trade_status"] = "TRADE_SUCCESS"
    elif tamper == "sign":
        notice["sign"] = notice["sign"][:-8] + "AAAAAAA="
    else:
        notice["sign_type"] = "RSA"
    with pytest.raises(NotificationRejected):
        pay.payment_notify(provider="alipay", params=notice)
    with tenant_context(shop.tenant):
        assert Payment.objects.get(pk=payment.pk).status == "pending"
    assert shop.account().receivable == D("72.00")


def test_a_genuine_notification_with_the_wrong_amount_is_refused(shop, alipay):
    ship_on_credit(shop, 1)
    payment, _ = start(shop, "72.00")
    with pytest.raises(NotificationRejected) as err:
        pay.payment_notify(provider="alipay", params=alipay.notification(payment.number, amount="7.20"))
    assert "7.20" in err.value.message
    assert shop.account().receivable == D("72.00")


def test_a_notification_for_another_app_or_an_unknown_trade_is_refused(shop, alipay):
    payment, _ = start(shop, "10.00")
    with pytest.raises(NotificationRejected):
        pay.payment_notify(provider="alipay", params=alipay.notification(payment.number, app_id="2021999999999999"))
    notice = alipay.notification(payment.number)
    notice["out_trade_no"] = "PM0000000000000"
    with pytest.raises(NotificationRejected):
        pay.payment_notify(provider="alipay", params=notice)


def test_a_closed_trade_cancels_the_waiting_payment(shop, alipay):
    payment, _ = start(shop, "10.00")
    pay.payment_notify(provider="alipay", params=alipay.notification(payment.number, status="TRADE_CLOSED"))
    with tenant_context(shop.tenant):
        assert Payment.objects.get(pk=payment.pk).status == "cancelled"


def test_an_answer_not_signed_by_alipay_or_no_answer_is_refused(shop, alipay):
    with tenant_context(shop.tenant):
        PaymentProvider.objects.filter(code="alipay").update(provider_public_key=public_pem(new_key()))
    with pytest.raises(ProviderUnavailable):
        start(shop, "10.00", mode="qr")
    with tenant_context(shop.tenant):
        PaymentProvider.objects.filter(code="alipay").update(gateway="http://127.0.0.1:9/gateway.do")
    with pytest.raises(ProviderUnavailable):
        start(shop, "10.00", mode="qr")
    with tenant_context(shop.tenant):
        assert set(Payment.objects.values_list("status", flat=True)) == {"cancelled"}


def test_the_signing_string_follows_alipays_rule():
    params = {"b": "2", "a": "1", "sign": "x", "empty": "", "biz_content": '{"k":"中文"}', "sign_type": "RSA2"}
    assert sign_content(params) == 'a=1&b=2&biz_content={"k":"中文"}&sign_type=RSA2'
    assert sign_content(params, exclude=("sign", "sign_type")) == 'a=1&b=2&biz_content={"k":"中文"}'
    # keys come as PEM or bare base64 (PKCS#8)
    key = new_key()
    assert load_private_key(bare(private_pem(key))).private_numbers() == key.private_numbers()


def test_the_fake_gateway_refuses_a_page_pay_request_changed_after_signing(shop, alipay):
    # given a signed page-pay URL whose amount is changed on the way (as a tamperer would)
    payment, checkout = start(shop, "72.00", visit=False)
    tampered = checkout.url.replace("%2272.00%22", "%220.01%22")
    assert tampered != checkout.url
    # then the gateway refuses it, and no trade is opened for it
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(tampered, timeout=5)  # noqa: S310 (the local fake)
    assert err.value.code == 400 and payment.number not in alipay.trades
    assert alipay.refused == ["alipay.trade.page.pay"]
