"""The documented verifier (dinghuo/notify/verify.py) rejects tampered, stale and replayed deliveries."""

import time

import pytest

from dinghuo.notify.verify import InvalidSignature, ReplayCache, signature_header, verify_signature

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"order.created","data":{"total":"144.00"}}'


def reason(header, body=BODY, secrets=(SECRET,), **kw) -> str:
    with pytest.raises(InvalidSignature) as rejected:
        verify_signature(header, body, list(secrets), replay_cache=kw.pop("cache", ReplayCache()), **kw)
    return rejected.value.reason


def test_an_authentic_delivery_is_accepted():
    header = signature_header(BODY, [SECRET])
    assert header.startswith("t=") and ",v1=" in header
    assert verify_signature(header, BODY, [SECRET], replay_cache=ReplayCache()) is True


def test_a_tampered_body_or_signature_is_rejected():
    header = signature_header(BODY, [SECRET])
    assert reason(header, BODY.replace(b"144.00", b"1.00")) == "mismatch"
    assert reason(header[:-4] + "0000") == "mismatch"
    assert reason(header, secrets=["whsec_other"]) == "mismatch"
    t = int(header.split(",")[0][2:])
    assert reason(header.replace(f"t={t}", f"t={t + 1}")) == "mismatch"  # the timestamp is signed too


def test_a_stale_delivery_is_rejected():
    old = signature_header(BODY, [SECRET], timestamp=int(time.time()) - 301)
    assert reason(old) == "stale"
    future = signature_header(BODY, [SECRET], timestamp=int(time.time()) + 301)
    assert reason(future) == "stale"
    assert verify_signature(old, BODY, [SECRET], tolerance=600, replay_cache=ReplayCache())


def test_a_replayed_delivery_is_rejected():
    cache = ReplayCache()
    header = signature_header(BODY, [SECRET])
    assert verify_signature(header, BODY, [SECRET], replay_cache=cache)
    assert reason(header, cache=cache) == "replayed"


def test_a_malformed_header_is_rejected():
    for header in [None, "", "v1=abc", "t=123", "t=abc,v1=ff", "garbage", "t=1," + "v1=a" * 1000]:
        assert reason(header) == "malformed"


def test_during_rotation_either_secret_verifies():
    # given a delivery signed with the new and the previous secret
    header = signature_header(BODY, ["whsec_new", "whsec_old"])
    assert header.count("v1=") == 2
    # then a receiver with either secret accepts it
    assert verify_signature(header, BODY, ["whsec_old"], replay_cache=ReplayCache())
    assert verify_signature(header, BODY, ["whsec_new"], replay_cache=ReplayCache())
    assert reason(header, secrets=["whsec_third"]) == "mismatch"


def test_the_default_cache_remembers_across_calls():
    header = signature_header(BODY + b" ", [SECRET])
    assert verify_signature(header, BODY + b" ", [SECRET])
    with pytest.raises(InvalidSignature):
        verify_signature(header, BODY + b" ", [SECRET])
