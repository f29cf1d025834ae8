"""The local platform: one process, SQLite, the paper broker and a replayed market feed."""
