"""`parley chat`: the conversation service in a terminal, in-process against the local store.

A reply's buttons are shown as a hint line; typing a button's number sends its command, exactly as pressing
it on the web page or in a messenger would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agent.replies import Reply
from core.channels import Action
from core.errors import ParleyError
from core.ports.language import Language
from core.ports.language import Reply as Said

PROMPT = "you> "
SAYS = "parley> "
LEAVE = {"quit", "exit"}


def hint(actions: Sequence[Action], first: int = 1) -> str:
    """``  [1 Confirm: yes 4821]  [2 Cancel: no 4821]``: each button with the number that presses it."""
    return "  " + "  ".join(f"[{n} {a.label}: {a.command}]" for n, a in enumerate(actions, start=first))


def show(replies: Sequence[Said], print_fn: Callable[..., object]) -> list[Action]:
    """Print the replies; return their buttons in the order a number picks them (1 is the first)."""
    buttons: list[Action] = []
    for reply in replies:
        print_fn(SAYS + reply.text.replace("\n", "\n" + " " * len(SAYS)))  # later lines under the first
        if reply.actions:
            print_fn(hint(reply.actions, first=len(buttons) + 1))
            buttons.extend(reply.actions)
    return buttons


def run_console(
    language: Language,
    account_id: str,
    thread: str,
    input_fn: Callable[[str], str] = input,
    print_fn: Callable[..., object] = print,
) -> int:
    """Read, converse, print until quit, exit or end of input. Returns the exit status (0)."""
    print_fn(f"Parley console, account {account_id}, thread {thread}. "
             "Type help for commands, a button's number to press it, quit to leave.")
    buttons: list[Action] = []
    while True:
        try:
            text = input_fn(PROMPT).strip()
        except (EOFError, KeyboardInterrupt):
            print_fn()  # end the prompt's line
            return 0
        if not text:
            continue
        if text.lower() in LEAVE:
            return 0
        if text.isdigit() and buttons:
            number = int(text)
            if not 1 <= number <= len(buttons):
                print_fn(f"  There is no button {number}; choose 1 to {len(buttons)}.")
                continue
            text = buttons[number - 1].command
            print_fn(f"  ({text})")
        try:
            replies = language.converse(account_id, thread, text)
        except ParleyError as error:
            replies = [Reply(text=error.message)]
        buttons = show(replies, print_fn)
