"""Errors the engine raises for a user to read: one line, naming the file, row, column or setting."""


class SegmentationError(Exception):
    """Base of every error whose message is meant for the person who ran the command."""


class DataError(SegmentationError):
    """The customer data cannot be used at all (missing file, no rows, missing columns...)."""


class ModelError(SegmentationError):
    """No usable model: none trained yet, or an artifact this version cannot read."""
