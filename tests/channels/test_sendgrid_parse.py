"""Reading an Inbound Parse post: the form, the reply above the thread, the sender, and whether it is vouched for."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from channels.sendgrid.inbound import MalformedEmail, authenticated, form_fields, read_inbound, reply_text
from core.channels import Channel
from tests.channels.sendgrid_support import email_fields, inbound_form

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("written", "read"), [
    ("buy 10 AAPL\n\nOn Wed, 27 Nov 2026 at 15:00, Parley <trade@parse.parley.example.com> wrote:\n> yes 1844\n",
     "buy 10 AAPL"),
    # Gmail wraps a long attribution over two lines
    ("yes 1844\r\n\r\nOn Wed, Nov 27, 2026 at 3:00 PM Parley <\r\ntrade@parse.parley.example.com> wrote:\r\n> BUY\r\n",
     "yes 1844"),
    ("positions\n> old line\n>> older\nquote AAPL", "positions\nquote AAPL"),
    ("orders\n-- \nAlice Trader\nDesk 4", "orders"),
    ("orders\n\nSent from my iPhone", "orders"),
    ("cancel all\n\n-----Original Message-----\nFrom: Parley\nbuy 1000 TSLA", "cancel all"),
    ("  \n\nportfolio\n\n", "portfolio"),
])
def test_the_reply_is_what_was_written_above_the_thread_and_signature(written, read) -> None:
    assert reply_text(written) == read


def test_an_html_only_email_is_read_as_text_without_its_quoted_thread() -> None:
    html = ("<html><head><style>p{color:red}</style></head><body><div>buy 10 AAPL&nbsp;</div>"
            "<div class=gmail_quote>On Wed wrote:<blockquote>yes 1844</blockquote></div></body></html>")
    inbound = read_inbound(email_fields(None, html=html), NOW)
    assert inbound.text == "buy 10 AAPL"


def test_the_form_is_read_with_its_charsets_and_attachments_are_skipped() -> None:
    fields = email_fields("x") | {"charsets": json.dumps({"text": "iso-8859-1", "subject": "UTF-8"})}
    raw, content_type = inbound_form(fields | {"text": "prix élevé".encode("latin-1")}, attachment=b"%PDF-1.4\x00\xff")
    read = form_fields(raw, content_type)
    assert read["text"] == "prix élevé"
    assert read["subject"] == "Orders" and "attachment1" not in read


def test_the_inbound_carries_the_sender_the_thread_and_the_message_id() -> None:
    fields = email_fields("positions", sender='"Alice Trader" <Alice@Example.COM>', subject="Re: Orders")
    inbound = read_inbound(fields, NOW)
    assert inbound.model_dump() == {
        "id": "email:CAF1a2b3c@mail.example.com", "channel": Channel.EMAIL, "sender": "alice@example.com",
        "text": "positions", "received_at": NOW, "verified": True,
        "context": {"subject": "Re: Orders", "message_id": "<CAF1a2b3c@mail.example.com>"},
    }


@pytest.mark.parametrize(("changes", "vouched"), [
    ({}, True),
    ({"SPF": "softfail"}, False),
    ({"SPF": "neutral"}, False),
    ({"dkim": "{@example.com : fail}"}, False),
    ({"dkim": "none"}, False),
    ({"dkim": "{@sendgrid.info : pass}"}, False),
    ({"dkim": "{@notexample.com : pass}"}, False),
    ({"dkim": "{@sendgrid.info : pass, @example.com : pass}"}, True),
    ({"envelope": json.dumps({"to": ["t@x"], "from": "bounces@evil.example"})}, False),
])
def test_spf_and_dkim_must_pass_for_the_senders_domain(changes, vouched) -> None:
    assert authenticated(email_fields("x") | changes, "alice@example.com") is vouched


def test_a_post_that_is_not_a_form_or_has_no_sender_is_malformed() -> None:
    with pytest.raises(MalformedEmail):
        form_fields(b"text=hi", "application/x-www-form-urlencoded")
    with pytest.raises(MalformedEmail):
        read_inbound(email_fields("hi", sender="undisclosed-recipients:;"), NOW)
    with pytest.raises(MalformedEmail):
        read_inbound(email_fields("hi", sender=f"{'a' * 400}@example.com"), NOW)
