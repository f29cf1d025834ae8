"""Development-time tools that write the trading calendars' data files shipped in core/data/calendars."""
