"""Lambda handlers run on a schedule (EventBridge Scheduler), not by a request or a stream."""
