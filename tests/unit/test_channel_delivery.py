"""Notifications to a trader's channels: preference order, fallback, quiet hours, the WhatsApp window, opted-out
numbers, exactly once per notification."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from core import usecases as uc
from core.channels import Channel, Contact, MessageStatus, Preferences, QuietHours
from core.notifications import Notification, NotificationKind
from core.ports.channel import DeliveryFailed
from core.usecases.messaging import delivery
from core.usecases.messaging.preferences import set_preferences
from tests.unit.test_channel_inbox import Recorder


@pytest.fixture
def senders() -> dict[Channel, Recorder]:
    return {channel: Recorder(channel) for channel in Channel}


def contact(service: uc.Deps, channel: Channel, address: str, **fields: object) -> None:
    service.store.contacts.save(Contact(channel=channel, address=address, account_id="alice", **fields))


def note(service: uc.Deps, kind: NotificationKind = NotificationKind.FILL, n: str = "N1") -> Notification:
    return Notification(id=n, account_id="alice", kind=kind, text=f"Filled {n}", created_at=service.now())


def prefer(service: uc.Deps, *channels: Channel, quiet: QuietHours | None = None) -> None:
    set_preferences(service, uc.get_account(service, "alice"), Preferences(channels=list(channels), quiet_hours=quiet))


def test_the_first_preferred_linked_channel_gets_it_once(service, senders) -> None:
    contact(service, Channel.SMS, "+1555")
    contact(service, Channel.EMAIL, "alice@example.com")
    prefer(service, Channel.TELEGRAM, Channel.EMAIL, Channel.SMS)  # no Telegram linked: email is first
    outcome = delivery.notify(service, senders, note(service))
    assert outcome.sent.channel is Channel.EMAIL and outcome.sent.to == "alice@example.com"
    assert outcome.sent.subject == "Parley fill" and outcome.sent.status is MessageStatus.SENT
    again = delivery.notify(service, senders, note(service))  # the queue delivered it twice
    assert again.sent.id == outcome.sent.id
    assert len(senders[Channel.EMAIL].sent) == 1 and senders[Channel.SMS].sent == []


def test_a_failed_channel_falls_back_to_the_next(service, senders) -> None:
    contact(service, Channel.TELEGRAM, "4242")
    contact(service, Channel.SMS, "+1555")
    prefer(service, Channel.TELEGRAM, Channel.SMS)
    senders[Channel.TELEGRAM].fail = "unavailable"
    outcome = delivery.notify(service, senders, note(service))
    assert outcome.sent.channel is Channel.SMS and outcome.failures == ["telegram: unavailable"]


def test_a_channel_that_refused_a_notification_for_good_is_not_asked_again(service, senders) -> None:
    contact(service, Channel.TELEGRAM, "4242")
    contact(service, Channel.SMS, "+1555")
    prefer(service, Channel.TELEGRAM, Channel.SMS)
    senders[Channel.TELEGRAM].fail = "rejected"  # Telegram's 400: chat not found
    assert delivery.notify(service, senders, note(service)).sent.channel is Channel.SMS
    asked = []
    senders[Channel.TELEGRAM].send = lambda message: asked.append(message) or "again"  # type: ignore[method-assign]
    again = delivery.notify(service, senders, note(service))  # the queue delivered it twice
    assert again.sent.channel is Channel.SMS and asked == [] and len(senders[Channel.SMS].sent) == 1


def test_every_channel_failing_raises_for_the_queue_to_retry(service, senders) -> None:
    contact(service, Channel.SMS, "+1555")
    senders[Channel.SMS].fail = "unavailable"
    with pytest.raises(DeliveryFailed):
        delivery.notify(service, senders, note(service))
    senders[Channel.SMS].fail = None
    service.clock.advance(seconds=5)
    assert delivery.notify(service, senders, note(service)).sent.channel is Channel.SMS


def test_quiet_hours_hold_routine_notifications_but_not_urgent_ones(service, senders) -> None:
    contact(service, Channel.SMS, "+1555")
    # The clock is 15:00 UTC = 10:00 in New York: quiet from 09:00 to 17:00 there.
    prefer(service, Channel.SMS, quiet=QuietHours(start=time(9), end=time(17), tz="America/New_York"))
    assert delivery.notify(service, senders, note(service)).held
    assert delivery.notify(service, senders, note(service)).held  # redelivered while quiet: still held, once
    urgent = delivery.notify(service, senders, note(service, NotificationKind.KILL_SWITCH, "K1"))
    assert urgent.sent is not None and [m.text for m in senders[Channel.SMS].sent] == ["Filled K1"]


def test_a_held_notification_goes_out_once_its_quiet_hours_end(service, senders) -> None:
    from infra.queues.local import InProcessQueue

    contact(service, Channel.SMS, "+1555")
    prefer(service, Channel.SMS, quiet=QuietHours(start=time(9), end=time(17), tz="America/New_York"))
    held = note(service)
    service.store.notifications.add(held)
    assert delivery.notify(service, senders, held).held
    queue = InProcessQueue(clock=lambda: service.now().timestamp())
    assert delivery.release(service, queue) == 0  # 10:00 in New York: still quiet
    service.clock.advance(hours=7)  # 17:00 New York time: the quiet hours are over
    assert delivery.release(service, queue) == 1
    assert delivery.release(service, queue) == 0  # released once
    (message,) = queue.drain()
    outcome = delivery.notify(service, senders, Notification.model_validate(message))
    assert outcome.sent.status is MessageStatus.SENT and [m.text for m in senders[Channel.SMS].sent] == ["Filled N1"]


def test_quiet_hours_across_midnight() -> None:
    quiet = QuietHours(start=time(22), end=time(7), tz="UTC")
    from datetime import UTC, datetime

    assert quiet.covers(datetime(2026, 11, 27, 23, 30, tzinfo=UTC))
    assert quiet.covers(datetime(2026, 11, 28, 6, 59, tzinfo=UTC))
    assert not quiet.covers(datetime(2026, 11, 28, 7, 0, tzinfo=UTC))
    assert not quiet.covers(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))


def test_whatsapp_outside_its_window_goes_as_a_template(service, senders) -> None:
    contact(service, Channel.WHATSAPP, "whatsapp:+1555", last_inbound_at=service.now() - timedelta(hours=25))
    prefer(service, Channel.WHATSAPP)
    assert delivery.notify(service, senders, note(service)).sent.template is True
    service.store.contacts.save(service.store.contacts.get(Channel.WHATSAPP, "whatsapp:+1555").model_copy(
        update={"last_inbound_at": service.now() - timedelta(hours=1)}))
    assert delivery.notify(service, senders, note(service, n="N2")).sent.template is False


def test_an_opted_out_number_is_skipped_and_a_provider_opt_out_marks_it(service, senders) -> None:
    contact(service, Channel.SMS, "+1555", opted_out=True)
    contact(service, Channel.EMAIL, "alice@example.com")
    prefer(service, Channel.SMS, Channel.EMAIL)
    assert delivery.notify(service, senders, note(service)).sent.channel is Channel.EMAIL
    contact_wa = Contact(channel=Channel.WHATSAPP, address="whatsapp:+1666", account_id="alice",
                         last_inbound_at=service.now())
    service.store.contacts.save(contact_wa)
    prefer(service, Channel.WHATSAPP, Channel.EMAIL)
    senders[Channel.WHATSAPP].fail = "opted_out"
    assert delivery.notify(service, senders, note(service, n="N2")).sent.channel is Channel.EMAIL
    assert service.store.contacts.get(Channel.WHATSAPP, "whatsapp:+1666").opted_out


def test_no_linked_channel_means_nothing_is_sent(service, senders) -> None:
    outcome = delivery.notify(service, senders, note(service))
    assert outcome.unreachable and all(not s.sent for s in senders.values())
