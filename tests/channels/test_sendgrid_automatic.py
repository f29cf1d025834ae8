"""Automatic email is never answered (RFC 3834): an auto-reply, a bounce from MAILER-DAEMON, a list or bulk
message gets 200 from the webhook (so SendGrid does not retry) and no reply, so two robots cannot talk
forever. A person's email, with ``Auto-Submitted: no``, is answered as always."""

from __future__ import annotations

import pytest

from tests.channels.sendgrid_support import email_fields
from tests.channels.test_sendgrid_inbound import linked, replies, write


def with_headers(fields: dict[str, str], extra: str) -> dict[str, str]:
    return fields | {"headers": fields["headers"] + extra}


@pytest.mark.parametrize(("case", "fields"), [
    ("auto-replied", with_headers(email_fields("I am out of the office."), "Auto-Submitted: auto-replied\n")),
    ("auto-generated", with_headers(email_fields("positions"), "Auto-Submitted: auto-generated; owner=x\n")),
    ("bulk", with_headers(email_fields("positions"), "Precedence: bulk\n")),
    ("vacation header", with_headers(email_fields("positions"), "X-Autoreply: yes\n")),
    ("mailer-daemon", email_fields("Delivery Status Notification (Failure)",
                                   sender="Mail Delivery Subsystem <MAILER-DAEMON@example.com>")),
    ("postmaster", email_fields("Undeliverable", sender="postmaster@example.com")),
    ("null return path", with_headers(email_fields("positions"), "Return-Path: <>\n")),
])
def test_an_automatic_email_is_acknowledged_and_never_answered(case: str, fields: dict[str, str]) -> None:
    local = linked()
    response = write(local, fields | {"headers": fields["headers"].replace("CAF1a2b3c", f"auto-{case}")})
    assert response.status_code == 200
    assert response.json()["ignored"] == "automatic"
    assert replies(local) == []


def test_an_email_that_says_auto_submitted_no_is_answered() -> None:
    local = linked()
    fields = with_headers(email_fields("positions", message_id="<person@mail.example.com>"), "Auto-Submitted: no\n")
    assert write(local, fields).status_code == 200
    assert len(replies(local)) == 1
