"""`python -m mentoring` runs the service on its configured host and port."""

import uvicorn

from mentoring.config import MentoringSettings

settings = MentoringSettings()
uvicorn.run(
    "mentoring.entrypoints.http:app", factory=True, host=settings.http_host, port=settings.http_port, log_config=None
)
