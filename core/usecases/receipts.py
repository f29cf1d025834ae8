"""What a provider later says about a message Parley sent (SendGrid's Event Webhook): it arrived, or it
bounced. A failure is final; a late "delivered" does not undo a bounce, and a receipt for a message Parley
never recorded (another system's mail on the same account) is ignored."""

from __future__ import annotations

from core.channels import MessageStatus
from core.errors import NotFound
from core.usecases.deps import Deps

MOVES_TO_DELIVERED = {MessageStatus.QUEUED, MessageStatus.SENT}


def record_receipt(deps: Deps, message_id: str, status: MessageStatus, error: str = "") -> bool:
    """Move the stored message ``message_id`` to ``status`` (DELIVERED or FAILED); True if it moved."""
    message = deps.store.messages.get(message_id)
    if message is None:
        return False
    if status is MessageStatus.DELIVERED and message.status not in MOVES_TO_DELIVERED:
        return False
    if status is MessageStatus.FAILED and message.status is MessageStatus.FAILED and message.error == error:
        return False
    try:
        deps.store.messages.save(message.model_copy(update={"status": status, "error": error,
                                                            "updated_at": deps.now()}))
    except NotFound:
        return False
    return True
