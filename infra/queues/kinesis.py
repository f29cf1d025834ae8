"""The event stream on Kinesis: accepted signals go out as ``webhook.event`` records for the stream consumer."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.envelope import Envelope
from core.errors import StoreError
from core.ports.queue import EventPublisher


class KinesisPublisher(EventPublisher):
    def __init__(self, stream: str, client: Any = None) -> None:
        self._client = client
        self.stream = stream

    @property
    def client(self) -> Any:
        """Built on first use: only the signals webhook publishes."""
        if self._client is None:
            from infra import aws  # imports boto3: only once something is sent

            self._client = aws.client("kinesis")
        return self._client

    def publish(self, envelope: Envelope) -> None:
        kwargs: dict[str, Any] = {"Data": envelope.model_dump_json().encode(), "PartitionKey": envelope.source}
        kwargs["StreamARN" if self.stream.startswith("arn:") else "StreamName"] = self.stream
        try:
            self.client.put_record(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"Kinesis put_record failed: {type(exc).__name__}") from exc
