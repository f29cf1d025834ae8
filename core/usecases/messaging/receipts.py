"""What a provider later says about a message Parley sent (SendGrid's Event Webhook): it arrived, or it
bounced (SendGrid's Event Webhook, Twilio's status callback). A failure is final; a late "delivered" does not
undo a bounce, and a receipt for a message Parley never recorded (another system's mail on the same account) is
ignored. A failed notification falls back to the trader's next channel (``fall_back``)."""

from __future__ import annotations

from core.channels import MessageStatus
from core.errors import NotFound
from core.ports.queue import NotifyQueue
from core.usecases.common.deps import Deps

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
        with deps.store.unit() as uow:
            uow.messages.save(message.model_copy(update={"status": status, "error": error, "updated_at": deps.now()}))
            uow.commit()
    except NotFound:
        return False
    return True


def fall_back(deps: Deps, queue: NotifyQueue, message_id: str) -> bool:
    """A message the provider reported failed after taking it: if it carried a notification, put that back on
    the notify queue once more, so ``delivery.notify`` tries the trader's next channel (the failed message is
    settled and not sent again; what went on another channel is found and not sent twice). True if queued."""
    message = deps.store.messages.get(message_id)
    if message is None or message.status is not MessageStatus.FAILED or not message.cause:
        return False
    notification = deps.store.notifications.get(message.cause)
    if notification is None:
        return False
    return notification.id in queue.send([notification], again=message.id)
