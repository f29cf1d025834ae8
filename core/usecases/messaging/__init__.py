"""Messaging: the notification outbox and its delivery to a trader's messengers, messages in from the channels
and their replies, linking a sender to an account, notification preferences and providers' receipts.

Consistency: at-least-once everywhere, made once by keys. A notification is added in the unit of work of its
cause under an id derived from it (``outbox``); an inbound message is dropped as a replay by its dedup key and
claimed before it is answered (``inbox``); a message out is recorded under an id derived from its cause before
it is sent, so a retry finds it and does not send again (``outbound``). Writes go through the unit of work, one
unit per logical step; no unit is open across a provider's send: record, commit, send, record the outcome.
Re-exports load on first use."""

from __future__ import annotations

from core.usecases._lazy import lazy_exports

_EXPORTS = {
    "DeliveryOutcome": "delivery:Outcome",
    "accept_message": "inbox:accept",
    "answer_message": "inbox:answer",
    "deliver": "outbound",
    "deliver_notification": "delivery:notify",
    "fall_back": "receipts",
    "list_notifications": "notifications",
    "new_link_code": "links:new_code",
    "opt_out": "outbound",
    "record_receipt": "receipts",
    "relay_notifications": "outbox:relay",
    "release_held": "delivery:release",
    "send_notifications": "outbox:send",
    "set_preferences": "preferences",
    "unlink": "links",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
