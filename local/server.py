"""`parley serve`: the API on uvicorn, SQLite, the paper broker, a seeded demo account and a replayed feed."""

from __future__ import annotations

import logging
from datetime import timedelta

from core import usecases as uc
from core.accounts import Role
from infra.bootstrap import Platform
from infra.tokens import issue_token
from local.channels import LocalConversations, mount_channel_webhooks
from local.feed import FeedReplayer, feed_path
from local.markets import DayOrderSweeper, market_lines
from local.net import bind, is_loopback
from local.streams import LocalStreams, mount_webhooks

log = logging.getLogger("parley.serve")


def channel_line(platform: Platform) -> str:
    """Where channel replies go: the providers whose credentials are set, the local outbox for the rest."""
    live = sorted(channel.value for channel, sender in platform.senders.items() if not sender.local)
    local = "replies without a provider go to `parley outbox --json`"
    return f"sending on {', '.join(live)}; {local}" if live else local


def banner(platform: Platform, host: str, port: int, feed: FeedReplayer | None) -> str:
    account = uc.get_account(platform.deps, platform.settings.demo_account)
    token = issue_token(account, platform.jwt_secret(), timedelta(seconds=platform.settings.jwt_ttl_seconds))
    base = f"http://{host}:{port}"
    feed_line = (
        f"replaying {feed_path(platform.settings.feed)} ({len(feed.quotes)} quotes, x{platform.settings.feed_speed})"
        if feed
        else "off (PARLEY_FEED=off): quotes only arrive through the service"
    )
    chat = f"{base}/" if is_loopback(host) else "off: the page hands out a demo token, so only on a loopback host"
    return f"""
Parley is running.
  Chat      {chat}
  API       {base}
  Docs      {base}/docs
  OpenAPI   {base}/openapi.json
  Health    {base}/health
  Store     {platform.settings.store_url}
  Feed      {feed_line}
  Account   {account.id} ({account.role.value})
  Markets   {market_lines(platform.deps)}
  Webhooks  {base}/webhooks/{{telegram,twilio/sms,twilio/whatsapp,sendgrid/inbound}}: {channel_line(platform)}

A token for {account.id} (also: parley token --account {account.id}):
  export PARLEY_TOKEN={token}

Place an order:
  curl -s -X POST {base}/v1/orders \\
    -H "Authorization: Bearer $PARLEY_TOKEN" -H "Idempotency-Key: $(date +%s%N)" \\
    -H "Content-Type: application/json" \\
    -d '{{"symbol": "BTC-USD", "side": "buy", "quantity": "0.01", "order_type": "market"}}'
"""


def serve(platform: Platform, host: str, port: int) -> None:
    import uvicorn

    from functions.api.app import create_app
    from local.web import mount_chat_page

    sock = bind(host, port)  # a busy port stops here: no feed started, no banner, no token printed
    uc.ensure_account(platform.deps, platform.settings.demo_account, role=Role.TRADER)
    streams = LocalStreams(platform)  # quotes and signals through the Kinesis handler; the outbox relay
    streams.start()
    conversations = LocalConversations(platform)  # the conversation queue's worker: channel messages answered
    conversations.start()
    sweeper = DayOrderSweeper(platform.deps)  # day orders end at their session's close, quotes or not
    sweeper.start()
    path = feed_path(platform.settings.feed)
    feed = None
    if path is not None:
        feed = FeedReplayer(path, streams.feed_quote, speed=platform.settings.feed_speed)
        feed.start()
    print(banner(platform, host, port, feed), flush=True)

    def close() -> None:
        if feed is not None:
            feed.stop()
        streams.stop()
        conversations.stop()
        sweeper.stop()
        platform.store.close()

    # Cleanup runs in the app's shutdown: uvicorn re-raises SIGTERM after a graceful stop, so code after
    # uvicorn.run() would not run when the server is terminated.
    app = create_app(platform, on_shutdown=close)
    mount_webhooks(app, platform)
    mount_channel_webhooks(app, platform)
    if is_loopback(host):  # the page signs whoever opens it in as the demo account
        mount_chat_page(app, platform, port)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
