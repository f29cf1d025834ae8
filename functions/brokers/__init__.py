"""Lambda handlers that hold the venue adapters (the brokers layer): the broker function and reconciliation."""
