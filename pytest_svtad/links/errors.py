"""The one error a link raises."""


class LinkError(Exception):
    """The installation cannot be reached or used as asked; the message says what to do."""
