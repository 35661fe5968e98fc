"""SCIM 2.0 `/scim/v2/Users` as Entra ID and Okta provisioning call it; answers in SCIM's own JSON.

Everything here translates: SCIM bodies to domain profiles (directory.domain.scim), use cases to
SCIM resources, and any error to an RFC 7644 error body, since that text is what the IT admin reads
in the provisioning log.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from directory.domain import scim
from directory.domain.model import Person
from directory.service import handlers
from directory.service.ports import People
from shared.errors import OwleryError


def scim_json(content: dict[str, Any], status: int = 200, person: Person | None = None) -> JSONResponse:
    headers = {"ETag": scim.etag(person)} if person is not None else None
    return JSONResponse(content, status_code=status, media_type=scim.MEDIA_TYPE, headers=headers)


async def scim_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, scim.ScimError)
    return JSONResponse(error.body(), status_code=error.status, media_type=scim.MEDIA_TYPE)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError as error:
        raise scim.ScimError.invalid_syntax(f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise scim.ScimError.invalid_syntax("the body must be a JSON object")
    return body


async def _translating(call: Callable[[], Awaitable[Person]]) -> Person:
    try:
        return await call()
    except OwleryError as error:
        raise scim.ScimError.from_owlery_error(error) from error


SERVICE_PROVIDER_CONFIG = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
    "filter": {"supported": True, "maxResults": scim.MAX_COUNT},
    "changePassword": {"supported": False},
    "sort": {"supported": False},
    "etag": {"supported": True},
    "authenticationSchemes": [
        {"type": "oauthbearertoken", "name": "Bearer token", "description": "The provisioning token set for HR"}
    ],
}


def scim_router(people: People, base_url: str) -> APIRouter:
    router = APIRouter(prefix="/scim/v2", tags=["scim"])
    root = base_url.rstrip("/") + "/scim/v2"

    def resource(person: Person, status: int = 200) -> JSONResponse:
        return scim_json(scim.person_to_scim(person, root), status, person)

    @router.get("/ServiceProviderConfig", summary="What this SCIM endpoint supports")
    async def service_provider_config() -> JSONResponse:
        return scim_json(SERVICE_PROVIDER_CONFIG)

    @router.get("/Users", summary="List users, or find one by userName / externalId")
    async def list_users(request: Request) -> JSONResponse:
        query = request.query_params
        wanted = scim.parse_filter(query.get("filter"))
        paging = scim.page(query.get("startIndex"), query.get("count"))
        if wanted is None:
            found, total = await people.page(paging.offset, paging.count)
        else:
            match = await _find(wanted, people)
            found, total = ([match] if match else []), (1 if match else 0)
            found = found[paging.offset : paging.offset + paging.count]
        resources = [scim.person_to_scim(person, root) for person in found]
        return scim_json(scim.list_response(resources, total, paging.start_index, paging.count))

    @router.post("/Users", status_code=201, summary="Provision a user")
    async def create_user(request: Request) -> JSONResponse:
        draft = scim.person_fields_from_scim(await _body(request))
        return resource(await _translating(lambda: handlers.create_person(draft, people)), 201)

    @router.get("/Users/{person_id}", summary="One user")
    async def get_user(person_id: str) -> JSONResponse:
        return resource(await _translating(lambda: handlers.get_person(person_id, people)))

    @router.put("/Users/{person_id}", summary="Replace a user's profile")
    async def replace_user(person_id: str, request: Request) -> JSONResponse:
        draft = scim.person_fields_from_scim(await _body(request))
        return resource(await _translating(lambda: handlers.replace_person(person_id, draft, people)))

    @router.patch("/Users/{person_id}", summary="Change some attributes, e.g. active: false")
    async def patch_user(person_id: str, request: Request) -> JSONResponse:
        body = await _body(request)
        current = await _translating(lambda: handlers.get_person(person_id, people))
        draft = scim.apply_patch(current, body)
        return resource(await _translating(lambda: handlers.replace_person(person_id, draft, people)))

    @router.delete("/Users/{person_id}", status_code=204, summary="Remove a user: Owlery erases their data")
    async def delete_user(person_id: str) -> Response:
        await _translating(lambda: handlers.get_person(person_id, people))
        await handlers.erase_person(person_id, "scim", "deleted by the HR system through SCIM", people)
        return Response(status_code=204)

    return router


async def _find(wanted: scim.ScimFilter, people: People) -> Person | None:
    if wanted.attribute == "userName":
        return await handlers.find_by_user_name(wanted.value, people)
    # The externalId is the person id whenever it is usable as one (see handlers._id_for).
    person = await people.get(wanted.value)
    return person if person is not None and not person.erased and person.external_id == wanted.value else None
