"""The preferences' OpenAPI description keeps to what the service answers (found by tests/hostile)."""

import re
from datetime import time

from notifications.entrypoints.http import QuietHoursIn


def test_quiet_hours_are_described_as_the_local_times_they_are_answered_as() -> None:
    described = QuietHoursIn.model_json_schema(mode="serialization")["properties"]
    answered = QuietHoursIn(start=time(21, 30), end=time(7, 5, 30)).model_dump(mode="json")
    for name in ("start", "end"):
        # JSON Schema's "time" format is RFC 3339's and needs a zone offset, which a local time never carries.
        assert "format" not in described[name]
        assert re.fullmatch(described[name]["pattern"], answered[name]), (name, answered[name])
        assert re.fullmatch(described[name]["pattern"], described[name]["default"])
    assert QuietHoursIn.model_validate({"start": "22:15", "end": "06:00"}).start == time(22, 15)
