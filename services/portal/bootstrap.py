"""The one place where the portal is wired: settings, the issuer client, one HTTP client per service."""

from dataclasses import dataclass

import httpx

from portal.adapters.api import Apis, ServiceApi
from portal.adapters.oidc import OidcClient
from portal.config import PortalSettings
from portal.domain.i18n import Catalogues
from shared.observability import configure_logging


@dataclass
class Portal:
    settings: PortalSettings
    oidc: OidcClient
    apis: Apis
    words: Catalogues

    async def close(self) -> None:
        await self.oidc.http.aclose()
        await self.apis.close()


def bootstrap(settings: PortalSettings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> Portal:
    """`transport` lets tests answer for the services and the issuer without servers."""
    settings = settings or PortalSettings()
    configure_logging("portal", settings.log_level)
    timeout = httpx.Timeout(settings.api_timeout_seconds)

    def api(name: str, base_url: str) -> ServiceApi:
        return ServiceApi(name, httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport))

    apis = Apis(
        enrolment=api("enrolment", settings.enrolment_url),
        mentoring=api("mentoring", settings.mentoring_url),
        gamification=api("gamification", settings.gamification_url),
        notifications=api("notifications", settings.notifications_url),
        directory=api("directory", settings.directory_url),
    )
    oidc = OidcClient(
        settings.oidc_issuer,
        settings.oidc_client_id,
        httpx.AsyncClient(timeout=timeout, transport=transport),
        browser_issuer=settings.oidc_browser_issuer,
        audience=settings.oidc_audience,
    )
    return Portal(settings, oidc, apis, Catalogues.load())
