"""`python -m notifications` runs the service on its configured host and port."""

import uvicorn

from notifications.config import NotificationsSettings

settings = NotificationsSettings()
uvicorn.run(
    "notifications.entrypoints.http:app",
    factory=True,
    host=settings.http_host,
    port=settings.http_port,
    log_config=None,
)
