"""Workers: the notification outbox relay (DynamoDB stream) and the sweep schedule."""
