"""The integration guides' code works: the verification snippet of docs/webhooks.md, and the example
scripts of docs/examples run against a live server."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.notify import dispatch
from dinghuo.notify.verify import signature_header
from dinghuo.orders.models import Order
from tests.api.conftest import API, make_key
from tests.orders.factories import make_shop

DOCS = Path(__file__).resolve().parents[2] / "docs"


def snippet() -> dict:
    text = (DOCS / "webhooks.md").read_text()
    code = next(block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify_signature" in block)
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace


def test_the_documented_snippet_accepts_authentic_and_rejects_the_rest():
    verify = snippet()["verify_signature"]
    body = b'{"id":"evt_9","type":"stock.low"}'
    header = signature_header(body, ["whsec_a"])
    assert verify(header, body, ["whsec_a"]) is True
    for bad_header, bad_body, why in [
        (header, body, "replayed"),
        (signature_header(body, ["whsec_a"]), body + b" ", "mismatch"),
        (signature_header(body, ["whsec_a"], timestamp=int(time.time()) - 400), body, "stale"),
        ("nonsense", body, "malformed"),
    ]:
        with pytest.raises(ValueError, match=why):
            verify(bad_header, bad_body, ["whsec_a"])
    rotated = signature_header(body + b"!", ["whsec_new", "whsec_a"])
    assert verify(rotated, body + b"!", ["whsec_a"])


def run_example(name: str, *args: str, url: str, key: str, cwd: Path) -> str:
    env = {**os.environ, "DINGHUO_URL": url, "DINGHUO_KEY": key}
    done = subprocess.run(
        [sys.executable, str(DOCS / "examples" / name), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_the_erp_and_wms_examples_run_against_a_live_server(live_server, tmp_path):
    # given a shop and keys: a dealer's buyer (ERP) and the warehouse user (WMS)
    from tests.factories import make_world

    shop = make_shop(make_world("docs"))
    buyer = make_key(shop.world.dealer_users[Role.BUYER], ["orders", "catalog"])
    warehouse = make_key(shop.world.staff[Role.WAREHOUSE], ["inventory"])

    # when the ERP example pushes an order (twice, same document) and pulls statuses
    pushed = run_example(
        "erp_sync.py", "push", "--lines", "2", "--document", "PO-1", url=live_server.url, key=buyer, cwd=tmp_path
    )
    pulled = run_example("erp_sync.py", "pull", url=live_server.url, key=buyer, cwd=tmp_path)
    # then one order exists and the pull lists it
    with tenant_context(shop.tenant):
        order = Order.objects.get()
    assert order.number in pushed and "same order: True" in pushed
    assert order.number in pulled and "1 orders changed" in pulled
    # when the WMS example recounts a warehouse
    pushed_stock = run_example(
        "wms_push.py", "--warehouse", "GZ", "--demo", url=live_server.url, key=warehouse, cwd=tmp_path
    )
    # then it reports what changed, and resending changed nothing
    assert "SKUs pushed to GZ" in pushed_stock and "resending each batch changed nothing more" in pushed_stock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_the_webhook_receiver_example_subscribes_and_verifies_real_deliveries(live_server, tmp_path, settings):
    # given the receiver example, subscribed through the live API with an owner's key
    from tests.factories import make_world

    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the server checks the URL when it is subscribed
    shop = make_shop(make_world("hooks"))
    owner = make_key(shop.world.staff[Role.OWNER], ["webhooks.manage"])
    port = free_port()
    env = {**os.environ, "DINGHUO_URL": live_server.url, "DINGHUO_KEY": owner}
    receiver = subprocess.Popen(
        [sys.executable, str(DOCS / "examples" / "webhook_receiver.py"), "--subscribe", "--port", str(port),
         "--exit-after", "2"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = [receiver.stdout.readline(), receiver.stdout.readline()]
        assert "subscribed as webhook" in lines[0] and "listening on" in lines[1], lines
        secret = lines[0].rsplit(" ", 1)[1].strip()
        # when a forged delivery arrives, then an order is placed and its delivery round sends its events
        forged = b'{"id":"evt_1","type":"order.created"}'
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/hooks", data=forged, method="POST",
            headers={"Dinghuo-Signature": signature_header(forged, ["whsec_not_the_secret"])},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310 (a local test URL)
        buyer = make_key(shop.world.dealer_users[Role.BUYER], ["orders"])
        placed = Client().post(f"{API}/orders", '{"lines": [{"sku_code": "COLA", "qty": "1"}]}',
                               content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {buyer}")  # fmt: skip
        assert placed.status_code == 201, placed.content
        config = dispatch.Config(timeout=5, max_attempts=3, backoff_base=0.1, backoff_cap=1, concurrency=1)
        deadline = time.monotonic() + 30
        while receiver.poll() is None and time.monotonic() < deadline:
            dispatch.fan_out()
            dispatch.deliver_due(config=config)
            time.sleep(0.1)
        out = "".join(lines) + receiver.communicate(timeout=10)[0]
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait(10)
    # then the forgery was rejected and both events of the order arrived, verified, in order
    assert refused.value.code == 400 and "REJECTED (mismatch)" in out, out
    number = placed.json()["number"]
    created, changed = out.index("order.created"), out.index("order.status_changed")
    assert created < changed and number in out[created:], out
    assert "2 events received" in out and secret.startswith("whsec_"), out


def test_the_api_docs_are_served_by_the_product_without_a_cdn(client, db):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    # every script and stylesheet comes from the product itself (a CSRF token may spell "cdn")
    links = re.findall(r'(?:src|href)="([^"]*)"', page.content.decode())
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links), links
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page.content.decode()
    for name in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        asset = client.get(f"/api/v1/docs/assets/{name}")
        assert asset.status_code == 200 and b"".join(asset.streaming_content)
    assert client.get("/api/v1/docs/assets/../../settings.py").status_code == 404
    assert client.get("/api/v1/docs/assets/secret.txt").json()["code"] == "not_found"
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message", "detail"]
    assert "429" in schema["paths"]["/api/v1/orders"]["post"]["responses"]


def test_the_schema_documents_503_overloaded_with_retry_after(client, db):
    # given the API answers 503 overloaded (+ Retry-After) when the connection pool is exhausted
    from django.test import RequestFactory

    from dinghuo.core.middleware import overloaded_response

    busy = overloaded_response(RequestFactory().get("/api/v1/orders"))
    assert busy.status_code == 503 and busy["Retry-After"] and json.loads(busy.content)["code"] == "overloaded"
    # then every operation documents that answer, with its header, as it does 429
    schema = client.get("/api/v1/openapi.json").json()
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            documented = operation["responses"]["503"]
            assert documented["headers"]["Retry-After"]["schema"] == {"type": "integer"}
            assert documented["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_readme_lists_every_setting_the_api_and_webhook_guides_name():
    # given the settings the guides name (a "…_CAP" shorthand spells out its prefix in the README)
    readme = (DOCS.parent / "README.md").read_text()
    table = readme[readme.index("## Settings") :].split("\n## ", 1)[0]
    in_readme = set(re.findall(r"`(DINGHUO_[A-Z0-9_]+)`", table))
    named = set()
    for guide in ("api.md", "webhooks.md"):
        named |= set(re.findall(r"\b(DINGHUO_[A-Z0-9_]+[A-Z0-9])\b", (DOCS / guide).read_text()))
    # then the README's settings table has a row for each
    assert named - {"DINGHUO_URL", "DINGHUO_KEY"} <= in_readme, sorted(named - in_readme)
    assert {"DINGHUO_API_RATE_LIMIT", "DINGHUO_IDEMPOTENCY_TTL_HOURS", "DINGHUO_WEBHOOKS_BACKOFF_CAP"} <= in_readme


def test_the_catalog_api_says_what_it_accepts_and_accepts_api_keys(api, world, shop):
    import dinghuo.catalog.api

    doc = dinghuo.catalog.api.__doc__
    assert "for now" not in doc and "API key" in doc and "``catalog`` scope" in doc
    # a key with the catalog scope reads it; one without is refused
    reader = make_key(world.dealer_users[Role.BUYER], ["catalog"])
    other = make_key(world.dealer_users[Role.BUYER], ["orders.place"])
    assert api.get("/catalog/search?q=COLA", key=reader).status_code == 200
    assert api.get("/catalog/search?q=COLA", key=other).status_code == 403
