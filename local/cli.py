"""The `parley` command: run the local platform and manage accounts and tokens."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core import usecases as uc
from core.accounts import Account, Role
from core.channels import Channel
from core.errors import InvalidRequest, ParleyError
from core.numbers import read_amount
from infra.settings import project_root

UTTERANCES = Path("tests") / "agent" / "utterances.jsonl"


def _platform():
    from infra.bootstrap import build_platform

    return build_platform()


def cmd_serve(args: argparse.Namespace) -> int:
    from local.server import serve

    serve(_platform(), args.host, args.port)
    return 0


def account_id_rule() -> str:
    """What an account id may be, in words, read from the Account model's own constraints."""
    field = Account.model_fields["id"].metadata
    meta = {k: getattr(m, k) for m in field for k in ("pattern", "max_length") if getattr(m, k, None) is not None}
    chars = re.fullmatch(r"\^\[(.*)\]\+\$", meta["pattern"])
    assert chars, meta["pattern"]
    ranges = re.findall(r"(.)-(.)", chars.group(1).rstrip("-"))
    singles = re.sub(r"(.)-(.)", "", chars.group(1))
    allowed = ", ".join([f"{a}-{b}" for a, b in ranges] + list(singles))
    return f"1 to {meta['max_length']} of the characters {allowed}"


def cmd_account_create(args: argparse.Namespace) -> int:
    platform = _platform()
    try:
        Account(id=args.id, created_at=platform.deps.now())
    except ValidationError:
        raise InvalidRequest(f"{args.id!r} is not a valid account id: use {account_id_rule()}.") from None
    account = uc.create_account(
        platform.deps, args.id, role=Role.ADMIN if args.admin else Role.TRADER, name=args.name or "",
        starting_cash=args.cash,
    )
    print(f"created account {account.id} ({account.role.value})")
    return 0


def cmd_account_live(args: argparse.Namespace) -> int:
    from core.usecases.admin import set_live_trading

    platform = _platform()
    account = set_live_trading(platform.deps, args.by, args.id, args.state == "on")
    venue = platform.deps.broker.venue_for(account.id)
    print(f"live trading {args.state} for account {account.id} (venue {venue}; the platform switch "
          f"PARLEY_LIVE_TRADING is {'on' if platform.settings.live_trading else 'off'})")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from infra.tokens import issue_token

    platform = _platform()
    if args.action == "revoke":
        account = uc.revoke_tokens(platform.deps, args.account, actor="cli")
        print(f"revoked every token of account {account.id} issued so far (token generation "
              f"{account.token_generation}); get a new one with: parley token --account {account.id}")
        return 0
    longest = platform.settings.jwt_max_ttl_seconds
    if args.ttl is not None and not 0 < args.ttl <= longest:
        raise InvalidRequest(f"--ttl is at most {longest} seconds (PARLEY_JWT_MAX_TTL_SECONDS).", code="bad_ttl")
    if args.account == platform.settings.demo_account:
        uc.ensure_account(platform.deps, args.account)
    account = uc.get_account(platform.deps, args.account)
    ttl = timedelta(seconds=args.ttl or platform.settings.jwt_ttl_seconds)
    print(issue_token(account, platform.jwt_secret(), ttl))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    import contextlib

    from local.console import run_console

    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    platform = _platform()
    try:
        account = args.account or platform.settings.demo_account
        if account == platform.settings.demo_account:
            uc.ensure_account(platform.deps, account)
        uc.get_account(platform.deps, account)  # an unknown account is refused before the prompt
        return run_console(platform.language, account, args.thread)
    finally:
        platform.store.close()


def cmd_parse(args: argparse.Namespace) -> int:
    import json

    from agent.grammar import intent_json, parse

    print(json.dumps(intent_json(parse(args.text))))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from agent.evaluation import evaluate_grammar, format_report, load_utterances

    utterances = load_utterances(utterance_file(args.file))
    report = evaluate_grammar(utterances)
    print("Command grammar, over every line (goal: no wrong order, no promised form missed):")
    print(format_report(report))
    from agent.llm import llm_settings_from_env

    settings = llm_settings_from_env()
    if settings is None:
        print("\nLLM: not scored (set OPENAI_API_KEY, and PARLEY_LLM_MODEL / PARLEY_LLM_BASE_URL, to score it).")
    else:
        from agent.classify import intent_reader
        from agent.evaluation import evaluate
        from agent.llm import chat_model

        print(f"\nLLM {settings.model}, over every line:")
        print(format_report(evaluate(utterances, intent_reader(chat_model(settings)))))
    return 1 if report.wrong_orders or report.promised_misses else 0


def cmd_replay(args: argparse.Namespace) -> int:
    from local.streams import replay

    platform = _platform()
    try:
        failed = replay(platform, Path(args.file), via=args.via, batch=args.batch)
    finally:
        platform.store.close()
    return 1 if failed else 0


def utterance_file(given: str | None) -> Path:
    """The file `parley eval` scores: the one given, else the project's labelled utterances, found from the
    project root so that the command works from any directory."""
    if given:
        return Path(given)
    root = project_root()
    if root is None or not (root / UTTERANCES).is_file():
        raise InvalidRequest(f"No labelled utterances here ({UTTERANCES} of a Parley checkout); pass --file F.")
    return root / UTTERANCES


def amount(text: str) -> Decimal:
    """An argparse type: a plain decimal amount, read as the API reads one ("1_0" is refused)."""
    try:
        return read_amount(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def cmd_outbox(args: argparse.Namespace) -> int:
    """The recent outbound messages, oldest first (a log to read down), each as one JSON object with
    ``channel``, ``to``, ``text`` and ``actions``."""
    import json

    platform = _platform()
    messages = platform.store.messages.recent(now=platform.deps.now(), limit=args.limit)
    shown = [m for m in reversed(messages) if args.channel in (None, m.channel.value)]
    for message in shown:
        line = message.outbox_line()
        if args.json:
            print(json.dumps(line))
        else:
            buttons = "  [" + " | ".join(a["label"] for a in line["actions"]) + "]" if line["actions"] else ""
            print(f"{line['created_at']}  {line['channel']:<8} -> {line['to']}  {line['text']}{buttons}")
    return 0


def cmd_telegram_setup(args: argparse.Namespace) -> int:
    from infra.settings import get_settings
    from local.telegram import setup

    settings = get_settings()
    local = (settings.telegram_bot_token, settings.telegram_webhook_secret, settings.telegram_secret_arn,
             settings.public_base_url)
    if args.stack or not any(local):  # nothing set here: the deployed stack's secret and URL
        from local.stack import stack_name, stack_outputs

        outputs = stack_outputs(args.stack or stack_name())
        settings = settings.model_copy(update={"telegram_secret_arn": outputs.get("TelegramSecretArn"),
                                               "public_base_url": outputs.get("WebhookBaseUrl", "")})
    for line in setup(settings):
        print(line)
    return 0


def cmd_secrets_set(args: argparse.Namespace) -> int:
    from local.stack import PROVIDERS, set_secret, stack_name, stack_outputs

    stack = args.stack or stack_name(env=args.config_env)
    given = {option: getattr(args, option, None) for option in PROVIDERS[args.provider].keys}
    arn, written = set_secret(args.provider, given, stack_outputs(stack), entry=getattr(args, "entry", None))
    print(f"{args.provider}: wrote {', '.join(written)} to {arn.rsplit(':', 1)[-1]} (stack {stack}); "
          "other keys kept")
    if args.provider == "telegram":
        print("next: parley telegram setup")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Parley, the conversational trading platform.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local platform (API, paper broker, replayed feed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)

    account = commands.add_parser("account", help="manage accounts").add_subparsers(dest="action", required=True)
    create = account.add_parser("create", help="create an account")
    create.add_argument("id")
    create.add_argument("--admin", action="store_true", help="give the account the admin role")
    create.add_argument("--name", default="")
    create.add_argument("--cash", type=amount, default=None, help="starting cash (default 1,000,000)")
    create.set_defaults(run=cmd_account_create)
    live = account.add_parser("live", help="allow or stop an account's real-money orders on its live venue")
    live.add_argument("id")
    live.add_argument("state", choices=["on", "off"])
    live.add_argument("--by", required=True, help="the admin account that decides (kept in the audit trail)")
    live.set_defaults(run=cmd_account_live)

    token = commands.add_parser("token", help="print a JWT for an account, signed with PARLEY_JWT_SECRET; "
                                "`token revoke` refuses every token the account was given so far")
    token.add_argument("action", nargs="?", choices=["revoke"], help="revoke the account's tokens instead")
    token.add_argument("--account", required=True)
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.set_defaults(run=cmd_token)

    chat = commands.add_parser("chat", help="talk to Parley in this terminal (same store as parley serve)")
    chat.add_argument("--account", default=None, help="account to speak as (default: the demo account)")
    chat.add_argument("--thread", default="console", help="conversation thread (memory is per thread)")
    chat.set_defaults(run=cmd_chat)

    parse = commands.add_parser("parse", help="print the intent the command grammar reads in TEXT, as JSON")
    parse.add_argument("text")
    parse.set_defaults(run=cmd_parse)

    evaluate = commands.add_parser("eval", help="score the command grammar on a labelled utterance file")
    evaluate.add_argument("--file", default=None, help=f"a JSONL file (default: the project's {UTTERANCES})")
    evaluate.set_defaults(run=cmd_eval)

    replay = commands.add_parser("replay", help="push a JSONL file of stream envelopes through the Kinesis (or "
                                                "MSK) handler and print what they did")
    replay.add_argument("file", help="one envelope a line ({type, id, source, time, data, v})")
    replay.add_argument("--via", choices=("kinesis", "msk"), default="kinesis")
    replay.add_argument("--batch", type=int, default=500, help="records per handler call (default 500)")
    replay.set_defaults(run=cmd_replay)

    outbox = commands.add_parser("outbox", help="print the recent outbound channel messages (Telegram, SMS, "
                                                "WhatsApp, email), oldest first")
    outbox.add_argument("--json", action="store_true", help="one JSON object a line: channel, to, text, actions")
    outbox.add_argument("--limit", type=int, default=50, help="how many of the newest (default 50)")
    outbox.add_argument("--channel", choices=[c.value for c in Channel], default=None)
    outbox.set_defaults(run=cmd_outbox)

    telegram = commands.add_parser("telegram", help="connect a Telegram bot").add_subparsers(dest="action",
                                                                                           required=True)
    telegram_setup = telegram.add_parser(
        "setup", help="setWebhook (PARLEY_PUBLIC_BASE_URL/webhooks/telegram with the webhook secret) and "
                      "setMyCommands for the bot; with no PARLEY_TELEGRAM_*/PARLEY_PUBLIC_BASE_URL set, the "
                      "deployed stack's (deploy/samconfig.toml)")
    telegram_setup.add_argument("--stack", default=None, help="the stack to read (default: deploy/samconfig.toml's)")
    telegram_setup.set_defaults(run=cmd_telegram_setup)

    add_secrets_commands(commands)
    return parser


def add_secrets_commands(commands: Any) -> None:
    """`parley secrets set PROVIDER --key value ...`: a provider's keys into the deployed stack's secret."""
    from local.stack import PROVIDERS, option_name

    secrets_set = commands.add_parser("secrets", help="write provider keys into the deployed stack's secrets"
                                      ).add_subparsers(dest="action", required=True).add_parser(
        "set", help="merge a provider's keys into its secret (stack name from deploy/samconfig.toml)"
    ).add_subparsers(dest="provider", required=True)
    for provider, spec in PROVIDERS.items():
        sub = secrets_set.add_parser(provider, help=f"the {provider} secret ({spec.output} output)")
        for option, key in spec.keys.items():
            sub.add_argument(option_name(option), dest=option, default=None, help=f"written as {key}")
        if provider == "broker":
            sub.add_argument("--for", dest="entry", required=True,
                             help="an account id, or VENUE:ENVIRONMENT (alpaca:paper) for every account on it")
        sub.add_argument("--stack", default=None, help="the stack (default: deploy/samconfig.toml's stack_name)")
        sub.add_argument("--config-env", default="default", help="the samconfig.toml environment (default, prod)")
        sub.set_defaults(run=cmd_secrets_set)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ParleyError as exc:
        print(f"parley: {exc.message}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        what = "bad configuration (a PARLEY_* variable)" if exc.title == "Settings" else f"invalid {exc.title}"
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"parley: {what}: {problems}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
