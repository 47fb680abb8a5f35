"""/finance: credit and balances (read). Dealer keys see their own dealer's account only."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from dinghuo.api import selectors
from dinghuo.api.endpoints.render import account_out, entry_out
from dinghuo.api.pagination import paginate
from dinghuo.api.schemas import AccountOut, AccountPage, Id, LedgerPage

router = Router(tags=["finance"])


class PageParams(Schema):
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class EntryParams(PageParams):
    bucket: str = Field(
        "",
        pattern="^(|credit_hold|receivable|prepaid|rebate)$",
        description="credit_hold, receivable, prepaid or rebate",
    )


@router.get(
    "/accounts",
    response=AccountPage,
    summary="Credit accounts",
    description="Credit limit, exposure (open receivables + holds), available credit, prepaid and rebate balances.",
)
def accounts_list(request: HttpRequest, params: Query[PageParams]) -> dict:
    rows, cursor = paginate(
        selectors.accounts(actor=request.actor),
        cursor=params.cursor,
        limit=params.limit,
        fields=("id",),
        descending=False,
    )
    return {"items": [account_out(a) for a in rows], "next_cursor": cursor}


@router.get("/accounts/{dealer_id}", response=AccountOut, summary="A dealer's credit account")
def accounts_get(request: HttpRequest, dealer_id: Id) -> dict:
    return account_out(selectors.account_get(actor=request.actor, dealer_id=dealer_id))


@router.get("/accounts/{dealer_id}/entries", response=LedgerPage, summary="A dealer's ledger (every balance change)")
def accounts_entries(request: HttpRequest, dealer_id: Id, params: Query[EntryParams]) -> dict:
    qs = selectors.ledger_entries(actor=request.actor, dealer_id=dealer_id, bucket=params.bucket)
    rows, cursor = paginate(qs, cursor=params.cursor, limit=params.limit)
    return {"items": [entry_out(e) for e in rows], "next_cursor": cursor}
