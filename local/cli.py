"""The `parley` command: run the local platform and manage accounts and tokens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from pydantic import ValidationError

from core import usecases as uc
from core.accounts import Role
from core.errors import ParleyError


def _platform():
    from infra.bootstrap import build_platform

    return build_platform()


def cmd_serve(args: argparse.Namespace) -> int:
    from local.server import serve

    serve(_platform(), args.host, args.port)
    return 0


def cmd_account_create(args: argparse.Namespace) -> int:
    platform = _platform()
    account = uc.create_account(
        platform.deps, args.id, role=Role.ADMIN if args.admin else Role.TRADER, name=args.name or "",
        starting_cash=args.cash,
    )
    print(f"created account {account.id} ({account.role.value})")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from infra.tokens import issue_token

    platform = _platform()
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
        return run_console(platform.conversation, account, args.thread)
    finally:
        platform.store.close()


def cmd_parse(args: argparse.Namespace) -> int:
    import json

    from agent.grammar import intent_json, parse

    print(json.dumps(intent_json(parse(args.text))))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from agent.evaluation import evaluate_grammar, format_report, load_utterances

    utterances = load_utterances(args.file)
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
    create.add_argument("--cash", type=Decimal, default=None, help="starting cash (default 1,000,000)")
    create.set_defaults(run=cmd_account_create)

    token = commands.add_parser("token", help="print a JWT for an account, signed with PARLEY_JWT_SECRET")
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
    evaluate.add_argument("--file", default="tests/agent/utterances.jsonl")
    evaluate.set_defaults(run=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ParleyError as exc:
        print(f"parley: {exc.message}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # a malformed PARLEY_* variable
        print(f"parley: bad configuration: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
