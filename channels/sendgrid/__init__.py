"""Email through SendGrid: Inbound Parse and its checks, the sender, the policy."""
