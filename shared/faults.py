"""Failpoints: named places where a test can make a real process crash or fail on purpose.

Set `OWLERY_FAILPOINTS="outbox.before_publish=kill"` to SIGKILL the process when it reaches that
point. Unset (always, in production) every failpoint is a no-op.
"""

import os
import signal


def failpoint(name: str) -> None:
    configured = os.environ.get("OWLERY_FAILPOINTS", "")
    if not configured:
        return
    actions = dict(item.split("=", 1) for item in configured.split(",") if "=" in item)
    if actions.get(name) == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
