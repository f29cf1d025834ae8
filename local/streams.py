"""The stream side of the local platform, on the AWS code path: replayed quotes go through the Kinesis handler's
consumer wrapped in the event Kinesis sends; accepted signals are published to an in-process stream that the
same consumer reads on a worker thread (so the webhook answers first, as in AWS); the outbox relay runs every
half second into the in-process notify queue, whose messages are logged until a channel delivers them.
``parley replay`` pushes a file of envelopes through the Kinesis or the MSK handler the same way.
"""

from __future__ import annotations

import base64
import logging
import queue
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from fastapi import FastAPI, Request, Response

from core.envelope import Envelope, EventType
from core.errors import ParleyError
from core.market import Quote
from core.notifications import Notification
from core.usecases.market import BatchReport
from core.usecases.messaging import relay_notifications, release_held
from functions.streams.consumer import StreamConsumer
from functions.webhooks.receive import respond
from functions.workers.channels import NotifyWorker
from infra.bootstrap import Platform
from infra.queues.local import InProcessPublisher, InProcessQueue

log = logging.getLogger("parley.streams")
notes = logging.getLogger("parley.notify")
RELAY_EVERY = 0.5
STREAM_ARN = "arn:aws:kinesis:local:000000000000:stream/parley-local"


def kinesis_event(values: Iterable[bytes], first_sequence: int = 1) -> dict:
    """Raw record values as the event Kinesis hands a Lambda function."""
    records = []
    for offset, value in enumerate(values):
        sequence = f"{first_sequence + offset:056d}"
        records.append({
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "local", "sequenceNumber": sequence,
                        "data": base64.b64encode(value).decode(), "approximateArrivalTimestamp": 0},
            "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"shardId-000000000000:{sequence}",
            "eventName": "aws:kinesis:record", "awsRegion": "local", "eventSourceARN": STREAM_ARN,
            "invokeIdentityArn": "arn:aws:iam::000000000000:role/parley-local",
        })
    return {"Records": records}


def msk_event(values: Iterable[bytes], first_offset: int = 0, topic: str = "market-data") -> dict:
    """Raw record values as the event Lambda's MSK event source hands a function (one partition)."""
    records = [
        {"topic": topic, "partition": 0, "offset": first_offset + i, "timestamp": 0, "timestampType": "CREATE_TIME",
         "value": base64.b64encode(value).decode(), "headers": []}
        for i, value in enumerate(values)
    ]
    return {"eventSource": "aws:kafka", "eventSourceArn": "arn:aws:kafka:local:000000000000:cluster/parley/local",
            "bootstrapServers": "localhost:9092", "records": {f"{topic}-0": records}}


def quote_envelope(quote: Quote, sequence: int) -> bytes:
    data = quote.model_dump(mode="json", include={"symbol", "bid", "ask", "last", "bid_size", "ask_size"})
    envelope = Envelope(type=EventType.MARKET_QUOTE, id=f"{quote.source}-{quote.symbol}-{sequence}",
                        source=quote.source, time=quote.time, data=data)
    return envelope.model_dump_json().encode()


class LocalStreams:
    """One Kinesis consumer for the feed and the signals, the relay, and the notify queue's log."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.consumer = StreamConsumer.kinesis(platform, log)
        self._lock = threading.Lock()  # one batch at a time, as one shard is read
        self._sequence = 0
        self._stop = threading.Event()
        self._signals: queue.Queue[Envelope | None] = queue.Queue()  # None: stop
        self._threads: list[threading.Thread] = []
        if isinstance(platform.events, InProcessPublisher):
            platform.events.deliver = self._signals.put

    def handle(self, values: list[bytes]) -> dict:
        with self._lock:
            event = kinesis_event(values, self._sequence + 1)
            self._sequence += len(values)
            return self.consumer.handle(event)

    def feed_quote(self, quote: Quote) -> None:
        """The feed replayer's callback: the quote as a one-record Kinesis batch."""
        self.handle([quote_envelope(quote, self._sequence + 1)])

    def start(self) -> None:
        for target, name in ((self._relay, "outbox-relay"), (self._signal_worker, "signals")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._signals.put_nowait(None)  # wakes the worker
        for thread in self._threads:
            thread.join(timeout=5)

    def _relay(self) -> None:
        while not self._stop.wait(RELAY_EVERY):
            try:
                relay_and_log(self.platform)
            except Exception:  # the relay thread must outlive one failed round; the next one retries
                log.exception("notification relay failed")

    def _signal_worker(self) -> None:
        while not self._stop.is_set():
            envelope = self._signals.get()
            if envelope is None:
                return
            try:
                self.handle([envelope.model_dump_json().encode()])
            except Exception:
                log.exception("signal not handled")


def relay_and_log(platform: Platform) -> int:
    """Relay unsent notifications to the in-process queue, then deliver what it holds through the notify worker
    (to the trader's linked channels; locally, the outbox) and log each."""
    sent = relay_notifications(platform.deps, platform.notify_queue)
    release_held(platform.deps, platform.notify_queue)  # quiet hours over: held notifications go now
    if isinstance(platform.notify_queue, InProcessQueue):
        worker = NotifyWorker(platform, notes)
        for message in platform.notify_queue.drain():
            notes.info("notify %s: %s", message["account_id"], message["text"])
            try:
                worker.deliver(Notification.model_validate(message))
            except ParleyError as failure:  # reached no channel: kept in the account's notification list
                notes.warning("notification %s not delivered: %s", message["id"], failure.message)
    return sent


def mount_webhooks(app: FastAPI, platform: Platform) -> None:
    """POST /webhooks/signals/{source}, wrapped into the API Gateway event its Lambda handler takes."""

    async def signal(source: str, request: Request) -> Response:
        body = await request.body()
        event = {
            "version": "2.0", "routeKey": "POST /webhooks/signals/{source}", "rawPath": request.url.path,
            "rawQueryString": request.url.query, "headers": {k.lower(): v for k, v in request.headers.items()},
            "requestContext": {"http": {"method": "POST", "path": request.url.path, "protocol": "HTTP/1.1",
                                        "sourceIp": request.client.host if request.client else "127.0.0.1",
                                        "userAgent": request.headers.get("user-agent", "")},
                               "routeKey": "POST /webhooks/signals/{source}", "stage": "$default"},
            "pathParameters": {"source": source},
            "body": base64.b64encode(body).decode(), "isBase64Encoded": True,
        }
        answer = respond(platform, event)
        return Response(answer["body"], status_code=answer["statusCode"], media_type="application/json")

    app.add_api_route("/webhooks/signals/{source}", signal, methods=["POST"], include_in_schema=False)


def replay(platform: Platform, path: Path, *, via: str = "kinesis", batch: int = 500,
           out: IO[str] = sys.stdout, progress: IO[str] | None = sys.stderr) -> int:
    """Push every line of ``path`` (one envelope a line) through the Kinesis or MSK handler, ``batch`` records
    an event, and print the counts; returns how many records failed. A progress bar goes to ``progress`` for
    files over a thousand lines."""
    lines = [line.rstrip("\n").encode() for line in path.read_text().splitlines() if line.strip()]
    maker = StreamConsumer.kinesis if via == "kinesis" else StreamConsumer.msk
    consumer = maker(platform, log)
    shape: Callable[[list[bytes], int], dict] = kinesis_event if via == "kinesis" else msk_event
    total, failed = BatchReport(), 0
    bar = _Progress(len(lines), progress if len(lines) > 1000 else None)
    for start in range(0, len(lines), batch):
        chunk = lines[start : start + batch]
        failed += len(consumer.handle(shape(chunk, start + 1))["batchItemFailures"])
        total.merge(consumer.report)
        bar.update(start + len(chunk))
    bar.close()
    notified = relay_and_log(platform)
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(total.skipped.items())) or "none"
    print(f"records     {len(lines)} (via {via}, {batch} a batch)", file=out)
    print(f"processed   {total.processed}", file=out)
    print(f"skipped     {sum(total.skipped.values())} ({skipped})", file=out)
    print(f"failed      {failed}", file=out)
    print(f"alerts      {total.alerts_fired} fired", file=out)
    print(f"orders      {total.orders_triggered} triggered", file=out)
    print(f"notified    {notified}", file=out)
    return failed


class _Progress:
    def __init__(self, total: int, stream: IO[str] | None, width: int = 40) -> None:
        self.total, self.stream, self.width = total, stream, width

    def update(self, done: int) -> None:
        if self.stream is None or not self.total:
            return
        filled = self.width * done // self.total
        self.stream.write(f"\r[{'#' * filled}{' ' * (self.width - filled)}] {done}/{self.total}")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None and self.total:
            self.stream.write("\n")
            self.stream.flush()
