"""HTTP clients of the services' public APIs, called with the signed-in person's bearer token."""

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class ApiError(Exception):
    """A refusal from a service: its status, its message and the field it names (if any)."""

    status: int
    detail: str
    field: str | None = None

    @classmethod
    def of(cls, answer: httpx.Response) -> "ApiError":
        try:
            body = answer.json()
        except ValueError:
            return cls(answer.status_code, answer.text[:500] or answer.reason_phrase)
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            # FastAPI's own validation answer: the first problem, named by the last part of its location
            first = detail[0]
            location = [str(part) for part in first.get("loc", []) if part not in ("body", "query", "path")]
            return cls(answer.status_code, str(first.get("msg", "")), location[-1] if location else None)
        field = body.get("field") if isinstance(body, dict) else None
        return cls(answer.status_code, str(detail or body), str(field) if field else None)


class Unauthenticated(Exception):
    """The token is missing, expired or refused: the person signs in again."""


class ServiceApi:
    """One service's public API at its base address."""

    def __init__(self, name: str, client: httpx.AsyncClient) -> None:
        self.name = name
        self.client = client

    async def call(
        self,
        method: str,
        path: str,
        token: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> Any:
        answer = await self.client.request(
            method,
            path,
            params={key: value for key, value in (params or {}).items() if value not in (None, "")},
            json=json,
            headers={"Authorization": f"Bearer {token}"},
        )
        if answer.status_code == 401:
            raise Unauthenticated(self.name)
        if answer.status_code == 404 and missing_ok:
            return None
        if answer.status_code >= 400:
            raise ApiError.of(answer)
        return answer.json() if answer.content else None

    async def get(self, path: str, token: str, **params: Any) -> Any:
        return await self.call("GET", path, token, params=params)

    async def find(self, path: str, token: str) -> Any:
        """GET, with None for a 404."""
        return await self.call("GET", path, token, missing_ok=True)

    async def post(self, path: str, token: str, json: Any = None) -> Any:
        return await self.call("POST", path, token, json=json)

    async def put(self, path: str, token: str, json: Any = None) -> Any:
        return await self.call("PUT", path, token, json=json)


@dataclass
class Apis:
    enrolment: ServiceApi
    mentoring: ServiceApi
    gamification: ServiceApi
    notifications: ServiceApi
    directory: ServiceApi

    async def close(self) -> None:
        for api in (self.enrolment, self.mentoring, self.gamification, self.notifications, self.directory):
            await api.client.aclose()
