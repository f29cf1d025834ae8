"""Linking a messenger sender to an account: the trader asks for a one-time code (POST /v1/links), sends
``link <code>`` on the channel, and from then on that sender speaks for the account (with its role)."""

from __future__ import annotations

from core.accounts import Account
from core.channels import LINK_CODE_TTL, Channel, Contact, LinkCode
from core.errors import AlreadyExists, InvalidRequest
from core.ids import new_id
from core.usecases.deps import Deps

CODE_LENGTH = 8  # Crockford base32: 40 bits, tried by a sender who has ten minutes


def new_code(deps: Deps, account: Account) -> LinkCode:
    for _ in range(5):
        code = LinkCode(code=new_id(CODE_LENGTH), account_id=account.id, expires_at=deps.now() + LINK_CODE_TTL)
        try:
            deps.store.link_codes.add(code, now=deps.now())
            return code
        except AlreadyExists:
            continue
    raise AlreadyExists("Could not issue a unique link code; try again.")


def link(deps: Deps, contact: Contact, code: str) -> Contact:
    """Bind ``contact`` to the account the code was issued for; the code is used up either way."""
    taken = deps.store.link_codes.take(code.strip().upper(), now=deps.now())
    if taken is None:
        raise InvalidRequest("That link code is not valid or has expired. Ask for a new one (POST /v1/links).",
                             code="invalid_link_code")
    return contact.model_copy(update={"account_id": taken.account_id, "linked_at": deps.now(), "onboarded": True})


def unlink(deps: Deps, account_id: str, channel: Channel) -> int:
    """Unbind every sender of ``account_id`` on ``channel``; how many there were."""
    unbound = 0
    for contact in deps.store.contacts.list_for_account(account_id):
        if contact.channel is channel:
            deps.store.contacts.save(contact.model_copy(update={"account_id": None, "linked_at": None}))
            unbound += 1
    return unbound


def linked(deps: Deps, account_id: str) -> list[Contact]:
    return deps.store.contacts.list_for_account(account_id)
