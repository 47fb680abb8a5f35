"""Schemathesis against the served OpenAPI schema, with keys of two tenants and of a dealer.

Every operation gets generated requests (valid ones, and invalid ones that break the schema) sent
through the real WSGI stack; no response may be a 5xx, and every response must match the schema
(status code documented, JSON body of the documented shape, content type). Bounded: a few examples
per operation and key, so the suite stays fast.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dinghuo.accounts.roles import Role
from tests.api.conftest import make_key

# examples per operation: (valid, schema-breaking) requests for each key
EXAMPLES = {"A owner": (5, 3), "A dealer": (3, 1), "B owner": (3, 1)}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


@pytest.fixture
def wsgi_app():
    # As Django's test client does: requests must not close the test's connection (its transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _first_lines(exc: Exception) -> str:
    text = "; ".join(str(e) for e in getattr(exc, "exceptions", [exc]))
    return " ".join(text.split())[:400]


def fuzz(operation, who, key, mode, examples, failures, calls):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers={"Authorization": f"Bearer {key}"})
        calls["n"] += 1
        calls["by_status"][response.status_code] = calls["by_status"].get(response.status_code, 0) + 1
        checks = CHECKS if mode == GenerationMode.POSITIVE else [not_a_server_error]
        try:
            case.validate_response(response, checks=checks)
        except Exception as exc:  # collect, so one run reports every operation at fault
            failures.append((operation.label, who, mode.value, response.status_code, _first_lines(exc)))

    try:
        run()
    except Unsatisfiable:
        assert mode == GenerationMode.NEGATIVE  # nothing to break in an operation without inputs


def test_every_operation_answers_within_its_schema_and_never_5xx(world, world_b, shop, wsgi_app, settings):
    # given the served schema and keys of tenant A (owner, a dealer's buyer) and of tenant B (owner)
    settings.API_RATE_LIMIT = 1_000_000
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    keys = {
        "A owner": make_key(world.staff[Role.OWNER]),
        "A dealer": make_key(world.dealer_users[Role.DEALER_ADMIN]),
        "B owner": make_key(world_b.staff[Role.OWNER]),
    }
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures, calls = [], {"n": 0, "by_status": {}}

    # when each operation is fuzzed with each key
    for operation in operations:
        for who, key in keys.items():
            positive, negative = EXAMPLES[who]
            fuzz(operation, who, key, GenerationMode.POSITIVE, positive, failures, calls)
            fuzz(operation, who, key, GenerationMode.NEGATIVE, negative, failures, calls)
    # then nothing failed
    print(
        f"\nschemathesis: {len(operations)} operations, {calls['n']} requests, statuses {sorted(calls['by_status'].items())}"
    )
    assert not failures, "\n\n".join(" | ".join(map(str, f)) for f in failures[:15])
