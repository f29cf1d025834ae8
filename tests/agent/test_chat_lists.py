"""Lists in a chat reply are summarised to fit a message: the first CHAT_LIST_ITEMS lines, then how many more
there are and where to see them all, so `alerts` with two thousand alerts is one short message, not forty SMS."""

from __future__ import annotations

from decimal import Decimal

from agent.conversation import Conversation
from agent.replies import CHAT_LIST_ITEMS
from channels.twilio.policy import SMS_LIMIT
from core import usecases as uc
from core.alerts import AlertCondition


def test_a_long_alert_list_is_summarised_with_how_many_more(service, clock) -> None:
    for n in range(60):
        uc.set_alert(service, "alice", "AAPL", AlertCondition.ABOVE, Decimal(200 + n))
    [reply] = Conversation(service).converse("alice", "sms:+1555", "alerts")
    lines = reply.text.splitlines()
    assert len(lines) == 1 + CHAT_LIST_ITEMS + 1
    assert lines[-1] == f"... and {60 - CHAT_LIST_ITEMS} more (GET /v1/alerts lists them all)."
    assert len(reply.text) <= SMS_LIMIT * 2


def test_a_short_list_is_shown_whole(service, clock) -> None:
    for n in range(3):
        uc.set_alert(service, "alice", "AAPL", AlertCondition.ABOVE, Decimal(200 + n))
    [reply] = Conversation(service).converse("alice", "sms:+1555", "alerts")
    assert len(reply.text.splitlines()) == 4 and "more" not in reply.text
