"""POST /webhooks/sendgrid/inbound on the local platform: who may post, what an email that its domain did not
vouch for may do, and what of an email is read (the reply above the quote and signature, once)."""

from __future__ import annotations

from core.orders import OrderStatus
from core.wording.messenger import UNVERIFIED
from tests.channels.harness import LocalChannels, local_channels
from tests.channels.sendgrid_support import EventKeys, email_fields, inbound_form, post_email

SPOOFED = {"spf": "softfail"}


def linked(**settings: object) -> LocalChannels:
    """alice@example.com linked to account alice, her link reply already sent; AAPL quoted."""
    local = local_channels(**settings)
    local.quote("AAPL", "189.50", "189.60")
    assert write(local, email_fields(f"link {local.link_code('alice')}",
                                     message_id="<link-1@mail.example.com>")).status_code == 200
    assert len(local.outbox()) == 1
    return local


def write(local: LocalChannels, fields: dict[str, str]):
    """One email posted and answered, then a second passes (so the outbox orders replies as they were sent)."""
    response = post_email(local.client, fields)
    local.drain()
    local.clock.advance(seconds=1)
    return response


def replies(local: LocalChannels, after: int = 1) -> list[str]:
    return [message.text for message in local.outbox()[after:]]


def test_a_missing_token_is_401_a_wrong_one_403_and_nothing_is_queued() -> None:
    local = local_channels()
    missing = post_email(local.client, email_fields("positions"), token=None)
    forged = post_email(local.client, email_fields("positions"), token="sendgrid-inbound-token-0123456780")
    empty = post_email(local.client, email_fields("positions"), token="")
    local.drain()
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "unauthorized")
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "forbidden")
    assert empty.status_code == 401
    assert local.outbox() == []  # not even the onboarding reply: nothing reached the worker
    # the refused Message-Id was not remembered: the genuine delivery of it is still accepted
    assert post_email(local.client, email_fields("positions")).json() == {"ok": True, "duplicate": False}


def test_with_no_token_configured_the_webhook_is_shut() -> None:
    local = local_channels(sendgrid_inbound_token=None)
    assert post_email(local.client, email_fields("positions"), token="anything").status_code == 403
    local.drain()
    assert local.outbox() == []


def test_a_parse_security_policy_signature_is_required_where_its_key_is_set() -> None:
    keys = EventKeys()
    local = local_channels(sendgrid_inbound_public_key=keys.public)
    raw, content_type = inbound_form(email_fields("positions"))
    unsigned = post_email(local.client, {}, body=(raw, content_type))
    tampered = post_email(local.client, {}, body=(raw.replace(b"positions", b"buy 1 AAPL"), content_type),
                          headers=keys.headers(raw))
    other_key = post_email(local.client, {}, body=(raw, content_type), headers=EventKeys().headers(raw))
    assert [r.status_code for r in (unsigned, tampered, other_key)] == [403, 403, 403]
    local.drain()
    assert local.outbox() == []
    signed = post_email(local.client, {}, body=(raw, content_type), headers=keys.headers(raw))
    assert signed.status_code == 200
    local.drain()
    assert len(local.outbox()) == 1  # the onboarding reply to a stranger


def test_an_email_that_fails_spf_or_dkim_may_ask_but_never_stage_or_confirm() -> None:
    local = linked()
    # a genuine email stages a ticket...
    write(local, email_fields("buy 10 AAPL", message_id="<buy-1@mail.example.com>"))
    code = local.outbox()[-1].actions[0].command.split()[1]
    language = local.platform.language
    assert language.asks_only("positions") and not language.asks_only(f"yes {code}")

    spoofs = [
        email_fields("positions", message_id="<q-1@evil.example>", **SPOOFED),
        email_fields("buy 10 AAPL", message_id="<b-1@evil.example>", **SPOOFED),
        email_fields(f"yes {code}", message_id="<y-1@evil.example>", dkim="{@example.com : fail}"),
        email_fields(f"yes {code}", message_id="<y-2@evil.example>", dkim="{@evil.example : pass}"),
        email_fields(f"yes {code}", message_id="<y-3@evil.example>", envelope_from="bounce@evil.example"),
        email_fields(f"yes {code}", message_id="<y-4@evil.example>", dkim="none"),
    ]
    for fields in spoofs:
        assert write(local, fields).status_code == 200

    answered = replies(local, after=2)
    assert answered[0] == "You have no open positions."
    assert answered[1:] == [UNVERIFIED] * 5
    # only the genuine ticket exists, still waiting for a genuine confirmation
    assert [(o.symbol, o.status) for o in local.orders("alice")] == [("AAPL", OrderStatus.PENDING_CONFIRMATION)]
    assert [m.to for m in local.outbox()] == ["alice@example.com"] * 8


def test_a_parent_domains_dkim_signature_vouches_for_its_subdomain() -> None:
    local = local_channels()
    local.quote("AAPL", "189.50", "189.60")
    sender = "Bob <bob@mail.example.com>"
    write(local, email_fields(f"link {local.link_code('alice')}", sender=sender, envelope_from="bob@mail.example.com",
                             message_id="<l@x>"))
    write(local, email_fields("buy 10 AAPL", sender=sender, envelope_from="bob@mail.example.com",
                              dkim="{@example.com : pass, @sendgrid.info : fail}", message_id="<b@x>"))
    assert local.outbox()[-1].text.startswith("BUY 10 AAPL MKT DAY")


def test_the_quoted_thread_and_signature_are_not_read() -> None:
    local = linked()
    text = ("buy 10 AAPL\n\n-- \nAlice Trader\nyes 1234\n\n"
            "On Wed, 27 Nov 2026 at 15:00, Parley <trade@parse.parley.example.com> wrote:\n> sell 500 AAPL\n")
    post_email(local.client, email_fields(text, message_id="<quoted@mail.example.com>"))
    local.drain()
    [reply] = replies(local)
    assert reply.startswith("BUY 10 AAPL MKT DAY")
    assert reply.endswith("or no to cancel.")


def test_a_replayed_message_id_is_acknowledged_and_answered_once() -> None:
    local = linked()
    fields = email_fields("buy 10 AAPL", message_id="<once@mail.example.com>")
    first = post_email(local.client, fields)
    again = post_email(local.client, fields)
    local.drain()
    assert (first.json(), again.json()) == ({"ok": True, "duplicate": False}, {"ok": True, "duplicate": True})
    assert len(replies(local)) == 1


def test_an_email_without_a_message_id_is_deduplicated_by_its_content() -> None:
    local = linked()
    fields = email_fields("positions", message_id="")
    assert post_email(local.client, fields).json()["duplicate"] is False
    assert post_email(local.client, fields).json()["duplicate"] is True
    assert post_email(local.client, email_fields("orders", message_id="")).json()["duplicate"] is False


def test_a_body_that_is_not_an_inbound_parse_form_is_400() -> None:
    local = local_channels()
    not_multipart = local.client.post(f"/webhooks/sendgrid/inbound?token={local_token()}", content=b"text=hi",
                                      headers={"content-type": "application/x-www-form-urlencoded"})
    no_sender = post_email(local.client, email_fields("positions") | {"from": "nobody"})
    assert [not_multipart.status_code, no_sender.status_code] == [400, 400]
    assert no_sender.json()["error"]["code"] == "malformed_body"


def local_token() -> str:
    from tests.channels.harness import SENDGRID_TOKEN

    return SENDGRID_TOKEN
