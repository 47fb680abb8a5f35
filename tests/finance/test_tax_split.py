"""Property: however lines, rates and amounts fall, the tax split adds up to the cent."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dinghuo.core.money import CENT, split_tax
from dinghuo.finance.taxes import share, split_lines

D = Decimal
RATES = [D("0.13"), D("0.09"), D("0.06"), D("0.00")]
cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c) * CENT)
lines = st.lists(st.tuples(cents, st.sampled_from(RATES)), min_size=1, max_size=40)


@given(lines=lines, red=st.booleans())
def test_lines_rates_and_totals_add_up_exactly(lines, red):
    sign = D(-1) if red else D(1)
    items = [(i, gross * sign, rate) for i, (gross, rate) in enumerate(lines)]
    per_line, totals = split_lines(items)
    # every line: net + tax = gross, to the cent
    for key, gross, _rate in items:
        net, tax = per_line[key]
        assert net + tax == gross and net == net.quantize(CENT) and tax == tax.quantize(CENT)
        assert abs(tax) <= abs(gross)
    # every rate: its lines add up to its split, which is money.split_tax of its gross
    for total in totals:
        mine = [k for k, _g, r in items if r == total.rate]
        assert sum(per_line[k][1] for k in mine) == total.tax
        assert sum(per_line[k][0] for k in mine) == total.net
        expected = split_tax(abs(total.gross), total.rate)
        assert (abs(total.net), abs(total.tax)) == expected
    # and the invoice
    assert sum(t.gross for t in totals) == sum(g for _k, g, _r in items)
    assert sum(t.net + t.tax for t in totals) == sum(g for _k, g, _r in items)


@given(total=cents, weights=st.lists(cents, min_size=1, max_size=30))
def test_share_is_exact_and_never_off_by_more_than_a_cent(total, weights):
    parts = share(total, weights)
    whole = sum(weights, D(0))
    if whole == 0 or total == 0:
        assert all(p == 0 for p in parts)
        return
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / whole) < CENT
