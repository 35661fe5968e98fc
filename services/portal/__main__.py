"""`python -m portal` serves the portal on its configured host and port."""

import uvicorn

from portal.config import PortalSettings

settings = PortalSettings()
uvicorn.run(
    "portal.entrypoints.http:app", factory=True, host=settings.http_host, port=settings.http_port, log_config=None
)
