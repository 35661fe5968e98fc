"""`python -m gamification` runs the service on its configured host and port."""

import uvicorn

from gamification.config import GamificationSettings

settings = GamificationSettings()
uvicorn.run(
    "gamification.entrypoints.http:app", factory=True, host=settings.http_host, port=settings.http_port, log_config=None
)
