"""Webhook handlers: API Gateway HTTP API (payload v2) events, answered fast, with the work done after."""
