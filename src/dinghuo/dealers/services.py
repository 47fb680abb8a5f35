"""Writes for dealers: create, update, suspend, regions, addresses, contacts, service records."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.models import Membership
from dinghuo.accounts.permissions import require
from dinghuo.accounts.roles import Role
from dinghuo.core import regions
from dinghuo.core.audit import AuditEvent, audit_write, snapshot
from dinghuo.core.errors import NOT_EDITABLE, REQUIRED, UNKNOWN_FIELD, ValidationError
from dinghuo.core.tenancy import Actor, current_tenant_id
from dinghuo.dealers.errors import DealerCodeTaken, ParentInvalid, RegionInvalid, SalesRepInvalid
from dinghuo.dealers.models import Address, Contact, Dealer, DealerRegion, DealerTier, PriceGroup, ServiceRecord

DEALER_FIELDS = (
    "code",
    "name",
    "short_name",
    "tier",
    "price_group",
    "sales_rep",
    "parent",
    "status",
    "region_code",
    "contact_name",
    "contact_phone",
    "tax_id",
    "invoice_title",
    "bank_name",
    "bank_account",
    "notes",
)
EDITABLE = frozenset(DEALER_FIELDS) - {"code", "status"}


def _check_region(code: str, field: str = "region_code") -> str:
    code = (code or "").strip()
    if regions.get(code) is None:
        raise RegionInvalid(region=code, detail={field: code})
    return code


def _check_sales_rep(user_id: int | None) -> None:
    if user_id is None:
        return
    ok = Membership.objects.filter(user_id=user_id, role=Role.SALES_REP, is_active=True).exists()
    if not ok:
        raise SalesRepInvalid(detail={"sales_rep": user_id})


def _check_parent(dealer: Dealer, parent: Dealer | None) -> None:
    if parent is None:
        return
    if parent.tenant_id != (dealer.tenant_id or current_tenant_id()):
        raise ParentInvalid(reason=_("it belongs to another tenant"), detail={"parent": parent.pk})
    node: Dealer | None = parent
    depth = 0
    while node is not None:
        if dealer.pk and node.pk == dealer.pk:
            raise ParentInvalid(reason=_("the dealer would be above itself"), detail={"parent": parent.pk})
        node = node.parent
        depth += 1
        if depth > 10:
            raise ParentInvalid(reason=_("the network would be more than 10 levels deep"), detail={"parent": parent.pk})


def dealer_tier_create(*, actor: Actor, code: str, name: str, rank: int = 0) -> DealerTier:
    require(actor, "dealers.manage")
    with transaction.atomic():
        tier = DealerTier.objects.create(code=code.strip(), name=name.strip(), rank=rank)
        audit_write(
            actor=actor, events=[AuditEvent.of("dealer_tier.created", tier, after={"code": code, "name": name})]
        )
    return tier


def price_group_create(*, actor: Actor, code: str, name: str) -> PriceGroup:
    require(actor, "dealers.manage")
    with transaction.atomic():
        group = PriceGroup.objects.create(code=code.strip(), name=name.strip())
        audit_write(actor=actor, events=[AuditEvent.of("price_group.created", group, after={"code": code})])
    return group


def dealer_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    tier: DealerTier,
    region_code: str,
    authorised_regions: list[str] | None = None,
    **fields: Any,
) -> Dealer:
    require(actor, "dealers.manage")
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError(detail=dict.fromkeys(sorted(unknown), UNKNOWN_FIELD))
    code = (code or "").strip()
    if not code or not (name or "").strip():
        raise ValidationError(
            detail={k: REQUIRED for k, v in {"code": code, "name": name}.items() if not (v or "").strip()}
        )
    dealer = Dealer(code=code, name=name.strip(), tier=tier, region_code=_check_region(region_code), **fields)
    _check_sales_rep(dealer.sales_rep_id)
    try:
        with transaction.atomic():
            if Dealer.objects.filter(code=code).exists():
                raise DealerCodeTaken(code=code, detail={"code": code})
            _check_parent(dealer, dealer.parent)
            dealer.save()
            codes = [_check_region(c, "authorised_regions") for c in (authorised_regions or [region_code])]
            DealerRegion.objects.bulk_create(
                [DealerRegion(tenant_id=dealer.tenant_id, dealer=dealer, region_code=c) for c in dict.fromkeys(codes)]
            )
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of("dealer.created", dealer, after={**snapshot(dealer, DEALER_FIELDS), "regions": codes})
                ],
            )
    except IntegrityError:
        raise DealerCodeTaken(code=code, detail={"code": code})
    return dealer


def dealer_update(*, actor: Actor, dealer: Dealer, **changes: Any) -> Dealer:
    require(actor, "dealers.manage")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(detail=dict.fromkeys(sorted(unknown), NOT_EDITABLE))
    with transaction.atomic():
        before = snapshot(dealer, DEALER_FIELDS)
        for key, value in changes.items():
            setattr(dealer, key, value)
        if "region_code" in changes:
            _check_region(dealer.region_code)
        if "sales_rep" in changes or "sales_rep_id" in changes:
            _check_sales_rep(dealer.sales_rep_id)
        if "parent" in changes:
            _check_parent(dealer, dealer.parent)
        dealer.save(update_fields=[*changes, "updated_at"])
        after = snapshot(dealer, DEALER_FIELDS)
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "dealer.updated",
                    dealer,
                    before={k: v for k, v in before.items() if after[k] != v},
                    after={k: v for k, v in after.items() if before[k] != v},
                )
            ],
        )
    return dealer


def dealer_set_status(*, actor: Actor, dealer: Dealer, status: str, reason: str = "") -> Dealer:
    require(actor, "dealers.manage")
    if status not in Dealer.Status.values:
        raise ValidationError(detail={"status": status})
    with transaction.atomic():
        before = dealer.status
        dealer.status = status
        dealer.save(update_fields=["status", "updated_at"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "dealer.status_changed", dealer, before={"status": before}, after={"status": status}, reason=reason
                )
            ],
        )
    return dealer


def dealer_set_regions(*, actor: Actor, dealer: Dealer, region_codes: list[str]) -> list[str]:
    require(actor, "dealers.manage")
    codes = list(dict.fromkeys(_check_region(c, "regions") for c in region_codes))
    if not codes:
        raise ValidationError(detail={"regions": _("Choose at least one region.")})
    with transaction.atomic():
        before = sorted(DealerRegion.objects.filter(dealer=dealer).values_list("region_code", flat=True))
        DealerRegion.objects.filter(dealer=dealer).exclude(region_code__in=codes).delete()
        DealerRegion.objects.bulk_create(
            [DealerRegion(tenant_id=dealer.tenant_id, dealer=dealer, region_code=c) for c in codes if c not in before]
        )
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "dealer.regions_changed", dealer, before={"regions": before}, after={"regions": sorted(codes)}
                )
            ],
        )
    return codes


def address_create(
    *,
    actor: Actor,
    dealer: Dealer,
    receiver: str,
    phone: str,
    text: str | None = None,
    province_code: str = "",
    city_code: str = "",
    district_code: str = "",
    detail: str = "",
    label: str = "",
    is_default: bool = False,
) -> Address:
    """Add a ship-to address from codes, or from free text ("广东省深圳市南山区科苑路15号")."""
    if not (actor.is_dealer and actor.dealer_id == dealer.pk):
        require(actor, "dealers.manage")
    if text:
        parsed = regions.parse_address(text)
        province_code = parsed.province.code
        city_code = parsed.city.code if parsed.city else ""
        district_code = parsed.district.code if parsed.district else ""
        detail = detail or parsed.detail
        if not detail.strip():
            raise regions.AddressError(reason=_("the street address is missing"), detail={"address": text})
    _check_region(province_code, "province_code")
    for code, field in ((city_code, "city_code"), (district_code, "district_code")):
        if code:
            _check_region(code, field)
            if code[:2] != province_code[:2]:
                raise regions.AddressError(reason="province", detail={field: code})
    missing = {
        k: REQUIRED
        for k, v in {"receiver": receiver, "phone": phone, "detail": detail}.items()
        if not (v or "").strip()
    }
    if missing:
        raise ValidationError(detail=missing)
    with transaction.atomic():
        if is_default or not Address.objects.filter(dealer=dealer).exists():
            Address.objects.filter(dealer=dealer, is_default=True).update(is_default=False)
            is_default = True
        address = Address.objects.create(
            dealer=dealer,
            label=label,
            receiver=receiver.strip(),
            phone=phone.strip(),
            province_code=province_code,
            city_code=city_code,
            district_code=district_code,
            detail=detail.strip(),
            is_default=is_default,
        )
        audit_write(
            actor=actor,
            events=[AuditEvent.of("address.created", address, after={"dealer": dealer.pk, "address": str(address)})],
        )
    return address


def contact_create(
    *, actor: Actor, dealer: Dealer, name: str, title: str = "", phone: str = "", email: str = ""
) -> Contact:
    require(actor, "dealers.manage")
    return Contact.objects.create(dealer=dealer, name=name, title=title, phone=phone, email=email)


def service_record_add(*, actor: Actor, dealer: Dealer, kind: str, note: str) -> ServiceRecord:
    require(actor, "dealers.service.log")
    if kind not in ServiceRecord.Kind.values:
        raise ValidationError(detail={"kind": kind})
    if not note.strip():
        raise ValidationError(detail={"note": REQUIRED})
    return ServiceRecord.objects.create(dealer=dealer, staff_id=actor.user_id, kind=kind, note=note.strip())
