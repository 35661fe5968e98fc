"""`python -m enrolment` runs the service on its configured host and port."""

import uvicorn

from enrolment.config import EnrolmentSettings

settings = EnrolmentSettings()
uvicorn.run(
    "enrolment.entrypoints.http:app", factory=True, host=settings.http_host, port=settings.http_port, log_config=None
)
