"""A real Learning Record Store for the tests: ralph's LRS (deploy/local/lrs.py), started once per session.

Provisioned into the cache on first use (`make provision` does it ahead). One that cannot be installed or
started fails the session loudly: no test skips for lack of an LRS.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.lrs import LrsServer

XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture(scope="session")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LrsServer]:
    with LrsServer(Path(tmp_path_factory.mktemp("lrs"))).running() as server:
        yield server


async def statements_of(server: LrsServer, agent: dict[str, Any] | None = None, **params: str) -> list[dict[str, Any]]:
    """Every statement the LRS holds (about `agent`, if given), read through its xAPI API, following `more`."""
    query = {**params, **({"agent": json.dumps(agent)} if agent else {})}
    found: list[dict[str, Any]] = []
    async with httpx.AsyncClient(
        base_url=server.endpoint, auth=(server.username, server.password), headers=XAPI_HEADERS, timeout=10
    ) as client:
        answer = await client.get("/xAPI/statements", params=query)
        while True:
            answer.raise_for_status()
            page = answer.json()
            found += page["statements"]
            more = page.get("more")
            if not more:
                return found
            answer = await client.get(more)
