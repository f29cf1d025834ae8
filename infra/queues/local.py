"""In-process stand-ins for SQS and Kinesis, for the local platform and tests: what is put is kept in order
(up to a bound) and can be taken by whoever plays the consumer."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from core.channels import Inbound
from core.envelope import Envelope
from core.notifications import Notification
from core.ports.channel import InboundQueue
from core.ports.queue import EventPublisher, NotifyQueue

BOUND = 10_000
DEDUP_SECONDS = 300  # SQS FIFO's deduplication interval


class InProcessQueue(NotifyQueue):
    """The notify queue locally. A repeat of an id taken in the last five minutes is dropped, as SQS FIFO's
    deduplication does (a notification released after quiet hours is taken again)."""

    def __init__(self, bound: int = BOUND, clock: Callable[[], float] = time.monotonic) -> None:
        self.messages: queue.Queue[dict] = queue.Queue(maxsize=bound)
        self._seen: dict[str, float] = {}
        self._clock = clock

    def send(self, notifications: list[Notification], *, again: str = "") -> list[str]:
        accepted = []
        now = self._clock()
        if len(self._seen) > BOUND:  # forget ids past the deduplication interval, as SQS does
            self._seen = {key: at for key, at in self._seen.items() if now - at < DEDUP_SECONDS}
        for notification in notifications:
            key = f"{notification.id}/{again}" if again else notification.id
            taken = self._seen.get(key)
            if taken is None or now - taken >= DEDUP_SECONDS:
                try:
                    self.messages.put_nowait(notification.message())
                except queue.Full:
                    break  # the rest stay unsent in the outbox, for a later relay
                self._seen[key] = now
            accepted.append(notification.id)
        return accepted

    def drain(self) -> list[dict]:
        taken = []
        while True:
            try:
                taken.append(self.messages.get_nowait())
            except queue.Empty:
                return taken


class InProcessPublisher(EventPublisher):
    """The event stream locally: ``deliver`` (set by the local platform) gets each envelope on a worker of its
    own, so a webhook answers before its work is done, as in AWS. Without it, envelopes wait in ``pending``."""

    def __init__(self, deliver: Callable[[Envelope], None] | None = None) -> None:
        self.deliver = deliver
        self.pending: queue.Queue[Envelope] = queue.Queue(maxsize=BOUND)

    def publish(self, envelope: Envelope) -> None:
        self.pending.put_nowait(envelope)
        if self.deliver is not None:
            self.deliver(envelope)


class InProcessInbox(InboundQueue):
    """The conversation queue locally: ``deliver`` (set by the local platform) hands each message to the worker
    thread that answers it, after the webhook has answered; without it messages wait in ``pending``."""

    def __init__(self, deliver: Callable[[Inbound], None] | None = None) -> None:
        self.deliver = deliver
        self.pending: queue.Queue[Inbound] = queue.Queue(maxsize=BOUND)

    def send(self, inbound: Inbound) -> None:
        if self.deliver is not None:
            self.deliver(inbound)
            return
        self.pending.put_nowait(inbound)
