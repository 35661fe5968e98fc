"""Errors a use case raises that an entrypoint turns into a clear answer (plain Python: domains may use them)."""

from typing import Any


class OwleryError(Exception):
    """Base of the errors a caller can act upon."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(OwleryError):
    """The thing asked about does not exist (HTTP 404)."""


class Conflict(OwleryError):
    """The request clashes with what already exists (HTTP 409); `details` says what does."""


class Forbidden(OwleryError):
    """The caller may reach the endpoint but not this record (HTTP 403): a curator asking for a pair's notes."""


class Invalid(OwleryError):
    """The request is well-formed but breaks a rule (HTTP 422)."""
