"""The audit trail and order state changes, written through the unit of work of the use case at hand."""

from __future__ import annotations

from datetime import datetime

from core.audit import AuditKind, AuditRecord
from core.ids import new_id
from core.orders import Order, OrderRequest, OrderStatus
from core.ports.store import UnitOfWork
from core.risk import RiskDecision
from core.usecases.messaging import outbox as notify


def audit(
    uow: UnitOfWork, now: datetime, account_id: str, kind: AuditKind, actor: str, order_id: str | None = None,
    **data: object,
) -> None:
    uow.audit.append(
        AuditRecord(id=new_id(16), time=now, account_id=account_id, kind=kind, actor=actor, order_id=order_id,
                    data=data)
    )


def change_status(
    uow: UnitOfWork, now: datetime, order: Order, target: OrderStatus, actor: str, reason: str | None = None
) -> None:
    """Move ``order`` (in place) and audit it; the caller stores the order in the same unit."""
    before = order.status
    order.transition(target, now, reason)
    audit(uow, now, order.account_id, AuditKind.ORDER_STATE, actor, order.id,
          previous=before.value, status=target.value, reason=reason)
    notify.order_ended(uow, now, order)


def audit_decision(
    uow: UnitOfWork, account_id: str, order_id: str, decision: RiskDecision, request: OrderRequest
) -> None:
    audit(
        uow, decision.checked_at, account_id, AuditKind.RISK_DECISION, "risk", order_id,
        approved=decision.approved, reasons=[r.code for r in decision.reasons], message=decision.message,
        request=request.model_dump(mode="json"),
    )
