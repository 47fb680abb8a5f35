"""The demo's sign-in table, printed by `dinghuo demo` and by `dinghuo serve` when demo data exists."""

DEMO_PASSWORD = "Qingquan#2026"  # noqa: S105 (printed for people trying the demo)

# (username, what it is) in the order people want to try them.
DEMO_LOGINS: list[tuple[str, str]] = [
    ("admin", "superuser — Django admin at /admin/"),
    ("bev-owner", "清泉饮料 · owner (品牌负责人)"),
    ("bev-admin", "清泉饮料 · administrator"),
    ("bev-sales", "清泉饮料 · sales rep (业务员)"),
    ("bev-review", "清泉饮料 · order reviewer (审单)"),
    ("bev-wh", "清泉饮料 · warehouse (仓管)"),
    ("bev-finance", "清泉饮料 · finance (财务)"),
    ("bev-gd01", "广州 dealer (金牌省代) · dealer admin"),
    ("bev-gd01-buyer", "广州 dealer · buyer (采购)"),
    ("bev-gd01-fin", "广州 dealer · dealer finance"),
    ("bev-zj01", "杭州 dealer (金牌省代) · dealer admin"),
    ("parts-owner", "精工工业配件 · owner"),
    ("parts-sales", "精工工业配件 · sales rep"),
    ("parts-d01", "精工 dealer · dealer admin"),
]


def print_logins(out=None) -> None:
    import sys

    from dinghuo.accounts.models import User

    out = out or sys.stdout
    present = set(
        User.objects.filter(username__in=[u for u, _ in DEMO_LOGINS], is_active=True).values_list("username", flat=True)
    )
    if not present:
        return
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {username:<16} {what}" for username, what in DEMO_LOGINS if username in present]
    out.write("\n".join(lines) + "\n")
    out.flush()
