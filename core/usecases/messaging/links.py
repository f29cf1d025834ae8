"""Linking a messenger sender to an account: the trader asks for a one-time code (POST /v1/links), sends
``link <code>`` on the channel, and from then on that sender speaks for the account (with its role)."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.accounts import Account
from core.channels import LINK_CODE_TTL, Channel, Contact, LinkCode
from core.errors import AlreadyExists, Conflict, Forbidden, InvalidRequest, ParleyError
from core.ids import new_id
from core.ports.store import UnitOfWork
from core.usecases.common.deps import Deps

CODE_LENGTH = 8  # Crockford base32: 40 bits, tried by a sender who has ten minutes
MAX_WRONG_CODES = 5  # per sender per WRONG_CODE_WINDOW: then its link messages are neither tried nor answered
WRONG_CODE_WINDOW = timedelta(hours=1)


class WrongLinkCode(InvalidRequest):
    """The code is not valid or has expired; ``contact`` is the sender with this miss counted (to be saved)."""

    code = "invalid_link_code"

    def __init__(self, contact: Contact) -> None:
        super().__init__("That link code is not valid or has expired. Ask for a new one (POST /v1/links).")
        self.contact = contact


class TooManyWrongCodes(ParleyError):
    """The sender sent MAX_WRONG_CODES bad codes within the hour: not tried, not answered (each answer costs)."""

    code = "too_many_wrong_codes"


def new_code(deps: Deps, account: Account) -> LinkCode:
    for _ in range(5):
        code = LinkCode(code=new_id(CODE_LENGTH), account_id=account.id, expires_at=deps.now() + LINK_CODE_TTL)
        try:
            with deps.store.unit() as uow:
                uow.link_codes.add(code, now=deps.now())
                uow.commit()
            return code
        except AlreadyExists:
            continue
    raise AlreadyExists("Could not issue a unique link code; try again.")


def link(uow: UnitOfWork, now: datetime, contact: Contact, code: str, *, verified: bool) -> Contact:
    """Bind ``contact`` to the account the code was issued for; a code that is tried is used up either way.
    Refused before any code is tried: an unverified sender (Forbidden), a sender already linked (Conflict: its
    account lets it go first, with ``unlink`` from it), one that sent MAX_WRONG_CODES bad codes in the last
    hour (TooManyWrongCodes). A bad code raises WrongLinkCode carrying the contact with the miss counted. The code is
taken in the caller's unit, so it is used up only if the unit (the contact bound, its reply recorded) commits."""
    require_verified(verified, "link")
    if contact.account_id is not None:
        raise Conflict(f"This {contact.channel.value} already speaks for account {contact.account_id}. Send "
                       "unlink from it first, then link <code> again.", code="already_linked",
                       account_id=contact.account_id)
    misses = [at for at in contact.wrong_codes if now - at < WRONG_CODE_WINDOW]
    if len(misses) >= MAX_WRONG_CODES:
        raise TooManyWrongCodes("Too many wrong link codes; try again later.", retry_after=misses[0] +
                                WRONG_CODE_WINDOW)
    taken = uow.link_codes.take(code.strip().upper(), now=now)
    if taken is None:
        raise WrongLinkCode(contact.model_copy(update={"wrong_codes": [*misses, now]}))
    return contact.model_copy(update={"account_id": taken.account_id, "linked_at": now, "onboarded": True,
                                      "wrong_codes": []})


def unlink_sender(contact: Contact, *, verified: bool) -> Contact:
    """``contact`` freed from its account, at its own request; only a verified sender may (Forbidden)."""
    require_verified(verified, "unlink")
    return contact.model_copy(update={"account_id": None, "linked_at": None})


def require_verified(verified: bool, what: str) -> None:
    if not verified:
        raise Forbidden(f"I could not verify that this message came from its sender (SPF/DKIM did not pass), so I "
                        f"will not {what} it. Send it again from your own mail server.", code="unverified_sender")


def unlink(deps: Deps, account_id: str, channel: Channel) -> int:
    """Unbind every sender of ``account_id`` on ``channel``; how many there were."""
    unbound = 0
    with deps.store.unit() as uow:  # every sender of the channel lets go together, or none does
        for contact in deps.store.contacts.list_for_account(account_id):
            if contact.channel is channel:
                uow.contacts.save(contact.model_copy(update={"account_id": None, "linked_at": None}))
                unbound += 1
        uow.commit()
    return unbound


def linked(deps: Deps, account_id: str) -> list[Contact]:
    return deps.store.contacts.list_for_account(account_id)
