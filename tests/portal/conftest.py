"""The portal's browser tests run over a whole platform (tests.support.platform) plus the portal process."""

from tests.support.portal import chromium, page, portal

__all__ = ["chromium", "page", "portal"]
