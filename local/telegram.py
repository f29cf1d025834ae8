"""`parley telegram setup`: point a real bot at a deployed stack. setWebhook (PARLEY_PUBLIC_BASE_URL +
/webhooks/telegram, the secret token the webhook checks, messages and button presses only, pending updates kept)
and setMyCommands (the menu Telegram shows under "/"), with the bot token and secret from PARLEY_* variables or
the Telegram secret (PARLEY_TELEGRAM_SECRET_ARN)."""

from __future__ import annotations

import re

from core.errors import InvalidRequest
from infra.settings import Settings

WEBHOOK_PATH = "/webhooks/telegram"  # functions.webhooks.telegram.PATH, not imported: it loads Powertools
# The commands of agent/replies.py HELP that stand as a menu entry; a tap sends "/name", which the grammar reads
# as "name" (a bare /buy is asked what to buy).
MENU = (
    ("buy", "Buy: /buy 10 AAPL, /buy 10 AAPL @ 190, /buy $1000 of AAPL"),
    ("sell", "Sell: /sell 2 CL @ 78.50 gtc, /sell 100 TSLA trail 2%"),
    ("positions", "Your positions"),
    ("orders", "Your working orders"),
    ("fills", "Your recent fills"),
    ("pnl", "Profit and loss"),
    ("quote", "A quote: /quote AAPL"),
    ("alerts", "Your price alerts (set one: alert NG above 3.5)"),
    ("risk", "Your risk limits and how much is used"),
    ("cancel", "Cancel an order: /cancel 7F3K2, /cancel all"),
    ("close", "Flatten a position: /close NG, /close all"),
    ("help", "Everything I understand"),
)
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token


def setup(settings: Settings) -> list[str]:
    """Configure the bot; the lines to print. InvalidRequest naming what is missing, SetupFailed if Telegram
    refused."""
    from infra.channels import credential

    token = credential(settings, "telegram", "bot_token")
    secret = credential(settings, "telegram", "webhook_secret")
    base = settings.public_base_url.rstrip("/")
    missing = [name for name, value in (("PARLEY_TELEGRAM_BOT_TOKEN", token),
                                        ("PARLEY_TELEGRAM_WEBHOOK_SECRET", secret),
                                        ("PARLEY_PUBLIC_BASE_URL", base)) if not value]
    if missing:
        raise InvalidRequest(f"Set {', '.join(missing)} (or the keys bot_token and webhook_secret of the Telegram "
                             "secret named by PARLEY_TELEGRAM_SECRET_ARN) before `parley telegram setup`.")
    if not base.startswith("https://"):
        raise InvalidRequest(f"PARLEY_PUBLIC_BASE_URL must be an https:// URL (Telegram only posts to HTTPS); "
                             f"it is {base!r}.")
    if not SECRET_TOKEN.fullmatch(secret):
        raise InvalidRequest("PARLEY_TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and -, 1 to 256 of "
                             "them (Telegram's rule for secret_token).")
    from channels.telegram.sender import ALLOWED_UPDATES, set_up_bot

    url = base + WEBHOOK_PATH
    username = set_up_bot(token, url, secret, MENU)
    return [
        f"bot @{username}: setWebhook {url} (secret token set; updates: {', '.join(ALLOWED_UPDATES)}; "
        "pending updates kept)",
        f"bot @{username}: setMyCommands {' '.join('/' + name for name, _ in MENU)}",
        f"next: send `link <code>` to @{username} with a code from POST /v1/links",
    ]
