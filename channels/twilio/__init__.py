"""SMS and WhatsApp through Twilio: inbound messages and their signature, the sender, the carriers' keywords and
WhatsApp's 24-hour window."""
