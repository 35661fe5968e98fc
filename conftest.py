"""Fixtures every test in the repository may use: the real Kafka and MongoDB-wire servers."""

import os

# Services built inside a test trust the development issuer and default secrets; a test that checks
# the production refusals says mode="production" explicitly.
for _service in ("ENROLMENT", "MENTORING", "GAMIFICATION", "NOTIFICATIONS", "DIRECTORY"):
    os.environ.setdefault(f"OWLERY_{_service}_MODE", "dev")

pytest_plugins = ["tests.support.infra", "tests.support.platform", "tests.support.lrs"]
