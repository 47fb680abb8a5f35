"""/dealers: staff only (dealer keys get 403)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from dinghuo.accounts.permissions import require
from dinghuo.api.endpoints.render import dealer_out
from dinghuo.api.pagination import paginate
from dinghuo.api.schemas import DealerOut, DealerPage, Id
from dinghuo.dealers.selectors import dealer_get, dealer_list

router = Router(tags=["dealers"])


class DealerListParams(Schema):
    q: str = Field("", max_length=100, description="Code, name, contact or phone")
    tier_id: Id | None = None
    status: str = Field("", max_length=16, description="active or suspended")
    province: str = Field("", max_length=6, description="A province code, e.g. 440000")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


@router.get("", response=DealerPage, summary="List dealers")
def dealers_list(request: HttpRequest, params: Query[DealerListParams]) -> dict:
    qs = dealer_list(
        actor=request.actor, q=params.q, tier_id=params.tier_id, status=params.status, province=params.province
    )
    rows, cursor = paginate(qs, cursor=params.cursor, limit=params.limit, fields=("id",), descending=False)
    return {"items": [dealer_out(d) for d in rows], "next_cursor": cursor}


@router.get("/{dealer_id}", response=DealerOut, summary="Get a dealer")
def dealers_get(request: HttpRequest, dealer_id: Id) -> dict:
    require(request.actor, "dealers.view")  # staff only, even for a dealer's own record
    return dealer_out(dealer_get(actor=request.actor, pk=dealer_id))
