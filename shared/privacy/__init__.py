"""Privacy mechanisms every service may use: anonymous authorship and confidential notes.

Plain Python (no web framework, no database driver), so domain code may depend on it.
"""

from shared.privacy.anonymity import MIN_REASON_LENGTH, AuthorReveal, Pseudonymizer, reveal
from shared.privacy.notes import NoteCipher, NoteUnreadable, generate_key

__all__ = [
    "MIN_REASON_LENGTH",
    "AuthorReveal",
    "NoteCipher",
    "NoteUnreadable",
    "Pseudonymizer",
    "generate_key",
    "reveal",
]
