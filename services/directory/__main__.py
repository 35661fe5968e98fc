"""`python -m directory` runs the service on its configured host and port."""

import uvicorn

from directory.config import DirectorySettings

settings = DirectorySettings()
uvicorn.run(
    "directory.entrypoints.http:app", factory=True, host=settings.http_host, port=settings.http_port, log_config=None
)
