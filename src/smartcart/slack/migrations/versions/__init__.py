"""The bot's frozen revisions, oldest first (Alembic reads them by file, not by import)."""
