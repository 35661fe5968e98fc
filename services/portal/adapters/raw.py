"""Calls whose answer or body is not JSON: chart images, CSV uploads, file downloads.

Same rules as `ServiceApi.call` (401 signs the person out, other refusals are `ApiError`), over the same
per-service HTTP client, so the portal still calls each service only with the person's own token.
"""

from dataclasses import dataclass, field
from typing import Any

from portal.adapters.api import ApiError, ServiceApi, Unauthenticated


@dataclass
class RowsRefused(ApiError):
    """A file refused row by row (the directory's CSV import): every bad row with its line and field."""

    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str


async def fetch(api: ServiceApi, path: str, token: str, **params: Any) -> Download:
    """GET a file (an image, a CSV, a JSON export) as bytes with its media type."""
    answer = await api.client.get(
        path,
        params={key: value for key, value in params.items() if value not in (None, "")},
        headers={"Authorization": f"Bearer {token}"},
    )
    if answer.status_code == 401:
        raise Unauthenticated(api.name)
    if answer.status_code >= 400:
        raise ApiError.of(answer)
    media_type = answer.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
    return Download(answer.content, media_type)


async def send_text(api: ServiceApi, path: str, token: str, text: str, content_type: str) -> Any:
    """POST a text body (a CSV file) and read the JSON answer."""
    answer = await api.client.post(
        path,
        content=text.encode("utf-8"),
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    if answer.status_code == 401:
        raise Unauthenticated(api.name)
    if answer.status_code >= 400:
        refusal = ApiError.of(answer)
        try:
            body = answer.json()
        except ValueError:
            body = None
        rows = body.get("errors") if isinstance(body, dict) else None
        if isinstance(rows, list):
            raise RowsRefused(
                refusal.status, refusal.detail, refusal.field, [row for row in rows if isinstance(row, dict)]
            )
        raise refusal
    return answer.json() if answer.content else None


async def patch(api: ServiceApi, path: str, token: str, json: Any) -> Any:
    return await api.call("PATCH", path, token, json=json)


async def delete(api: ServiceApi, path: str, token: str) -> Any:
    return await api.call("DELETE", path, token)
