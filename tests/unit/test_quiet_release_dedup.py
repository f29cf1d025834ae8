"""A notification held by quiet hours that end within SQS FIFO's five-minute deduplication window of its first
enqueue is not lost: the queue would drop a repeat of its id as a duplicate, so the sweep waits the window out
and then releases it, and it is delivered once."""

from __future__ import annotations

from datetime import time

from core.channels import Channel, MessageStatus, QuietHours
from core.notifications import Notification
from core.usecases.messaging import delivery
from infra.queues.local import InProcessQueue
from tests.unit.test_channel_delivery import contact, note, prefer, senders  # noqa: F401


def test_quiet_hours_ending_inside_the_dedup_window_delay_the_release_and_lose_nothing(service, senders) -> None:  # noqa: F811
    contact(service, Channel.SMS, "+1555")
    prefer(service, Channel.SMS, quiet=QuietHours(start=time(14, 0), end=time(15, 2), tz="UTC"))  # now 15:00 UTC
    first = note(service)
    service.store.notifications.add(first)
    queue = InProcessQueue(clock=lambda: service.now().timestamp())  # drops a repeated id for five minutes
    assert queue.send([first]) == [first.id]  # the relay's first put
    (taken,) = queue.drain()
    assert delivery.notify(service, senders, Notification.model_validate(taken)).held

    service.clock.advance(minutes=2)  # the quiet hours are over, but the queue still remembers the id
    assert delivery.release(service, queue) == 0
    assert queue.drain() == []
    service.clock.advance(minutes=3)  # five minutes since the first put: a new send is not a duplicate
    assert delivery.release(service, queue) == 1
    (released,) = queue.drain()
    outcome = delivery.notify(service, senders, Notification.model_validate(released))
    assert outcome.sent is not None and outcome.sent.status is MessageStatus.SENT
    assert [m.text for m in senders[Channel.SMS].sent] == ["Filled N1"]
