"""The directory as HR systems, people and other services meet it, on the real broker and database."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from directory.adapters.repository import MongoImportRuns
from directory.bootstrap import Directory, bootstrap
from directory.config import DirectorySettings
from directory.domain.imports import finished_run
from directory.entrypoints.http import create_app
from shared.auth.testing import Call, TestIssuer, authorization_matrix
from shared.contracts import directory as contracts
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated
from tests.support.kafka import read_topic

SCIM_TOKEN = "scim-" + uuid.uuid4().hex
SCIM = {"Authorization": f"Bearer {SCIM_TOKEN}"}
ENTRA_USER = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a1b2c3d-aaaa-bbbb-cccc-000000000001",
    "userName": "Ann.Lee@Contoso.com",
    "active": True,
    "displayName": "Ann Lee",
    "title": "Analyst",
    "emails": [{"primary": True, "type": "work", "value": "ann.lee@contoso.com"}],
    "preferredLanguage": "ru-RU",
    "timezone": "Europe/Moscow",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Finance"},
}


def settings_for(servers: Servers, **overrides: Any) -> DirectorySettings:
    values: dict[str, Any] = {
        "scim_token": SecretStr(SCIM_TOKEN),
        "export_sources": {},
        "public_url": "https://owlery.example.com",
        "mode": "dev",
        **overrides,
    }
    return isolated(DirectorySettings, servers, "directory", **values)


@pytest_asyncio.fixture
async def running(servers: Servers) -> AsyncIterator[tuple[Directory, httpx.AsyncClient]]:
    settings = settings_for(servers)
    service = bootstrap(settings)
    app = create_app(service)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://directory") as client,
        ):
            yield service, client
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()


async def sign_in(client: httpx.AsyncClient, user_name: str, *roles: str) -> dict[str, str]:
    body: dict[str, Any] = {"user_name": user_name}
    if roles:
        body["roles"] = list(roles)
    answer = await client.post("/dev-oidc/token", json=body)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.infra
async def test_entra_provisioning_lifecycle(running: tuple[Directory, httpx.AsyncClient], servers: Servers) -> None:
    service, client = running
    assert (await client.get("/scim/v2/Users")).status_code == 401
    wrong = await client.get("/scim/v2/Users", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401

    created = await client.post("/scim/v2/Users", json=ENTRA_USER, headers=SCIM)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/scim+json")
    user = created.json()
    person_id = user["id"]
    assert person_id == ENTRA_USER["externalId"]  # the IdP's object id is the person id tokens carry
    assert user["meta"]["location"] == f"https://owlery.example.com/scim/v2/Users/{person_id}"
    assert user["preferredLanguage"] == "ru"
    assert created.headers["etag"] == 'W/"1"'

    same_name = {**ENTRA_USER, "externalId": "x-2", "userName": "ann.lee@contoso.com"}  # differs only in case
    again = await client.post("/scim/v2/Users", json=same_name, headers=SCIM)
    assert again.status_code == 409
    assert again.json()["scimType"] == "uniqueness"
    assert again.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]

    found = await client.get("/scim/v2/Users", params={"filter": 'userName eq "ann.lee@contoso.com"'}, headers=SCIM)
    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["id"] == person_id
    nobody = await client.get("/scim/v2/Users", params={"filter": 'userName eq "nobody@contoso.com"'}, headers=SCIM)
    assert nobody.json() == {**nobody.json(), "totalResults": 0, "Resources": []}

    # The person signs in (development issuer) and sees their own profile.
    ann = await sign_in(client, "ann.lee@contoso.com")
    me = await client.get("/people/me", headers=ann)
    assert me.status_code == 200
    assert me.json()["department"] == "Finance"

    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    deactivated = await client.patch(f"/scim/v2/Users/{person_id}", json=patch, headers=SCIM)
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False
    refused = await client.post("/dev-oidc/token", json={"user_name": "ann.lee@contoso.com"})
    assert refused.status_code == 400
    assert "deactivated" in refused.json()["detail"]
    still_held = await client.get("/people/me", headers=ann)
    assert still_held.status_code == 401  # the token she still holds no longer opens anything

    bad = await client.put(f"/scim/v2/Users/{person_id}", content=b"{not json", headers=SCIM)
    assert bad.status_code == 400
    assert bad.json()["scimType"] == "invalidSyntax"
    bad_value = await client.put(f"/scim/v2/Users/{person_id}", json={**ENTRA_USER, "active": "maybe"}, headers=SCIM)
    assert bad_value.status_code == 400
    assert bad_value.json()["scimType"] == "invalidValue"
    assert "active" in bad_value.json()["detail"]

    # Her earlier events are out before she is erased: an erasure supersedes what was not published yet.
    topic = service.settings.topic_prefix + contracts.TOPIC
    for _ in range(60):
        records = await read_topic(servers.kafka_bootstrap, topic, at_least=1, settle=0)
        if len([record for record in records if record.key == person_id.encode()]) >= 2:
            break
        await asyncio.sleep(0.5)

    assert (await client.delete(f"/scim/v2/Users/{person_id}", headers=SCIM)).status_code == 204
    gone = await client.get(f"/scim/v2/Users/{person_id}", headers=SCIM)
    assert gone.status_code == 404
    assert gone.json()["status"] == "404"

    records = await read_topic(servers.kafka_bootstrap, topic, at_least=3)
    types = [dict(r.headers)["ce_type"].decode() for r in records if r.key == person_id.encode()]
    assert types == [
        contracts.PersonUpsertedV1.ce_type,
        contracts.PersonDeactivatedV1.ce_type,
        contracts.PersonErasedV1.ce_type,
    ]
    # The erasure overwrote the history too: nothing in the directory's database still names her.
    database = service.runtime.database
    for collection in await database.list_collection_names():
        async for document in database[collection].find({}):
            assert "contoso" not in json.dumps(document, default=str).lower(), (collection, document)


@pytest.mark.infra
async def test_scim_lists_page_through_everyone(running: tuple[Directory, httpx.AsyncClient]) -> None:
    _, client = running
    for number in range(5):
        body = {"userName": f"u{number}@contoso.com", "displayName": f"User {number}"}
        assert (await client.post("/scim/v2/Users", json=body, headers=SCIM)).status_code == 201
    first = (await client.get("/scim/v2/Users", params={"startIndex": 1, "count": 2}, headers=SCIM)).json()
    third = (await client.get("/scim/v2/Users", params={"startIndex": 5, "count": 2}, headers=SCIM)).json()
    demo_people = 6
    assert first["totalResults"] == 5 + demo_people
    assert first["itemsPerPage"] == 2
    assert third["startIndex"] == 5
    ids = {r["id"] for r in first["Resources"]} | {r["id"] for r in third["Resources"]}
    assert len(ids) == 4


GOOD_CSV = (
    "user_name,display_name,email,department,manager_user_name,job_title,locale,time_zone,active\n"
    "boss@corp.ru,Пётр Петров,boss@corp.ru,Sales,,Head of sales,ru,Europe/Moscow,true\n"
    "kate@corp.ru,Катя Орлова,kate@corp.ru,Sales,boss@corp.ru,Manager,ru-RU,Europe/Samara,yes\n"
)
BAD_CSV = (
    "user_name,display_name,email,department,manager_user_name,job_title,locale,time_zone,active\n"
    "ok@corp.ru,Ok,ok@corp.ru,,,,en,UTC,true\n"
    "bad@corp.ru,Bad,not-an-email,,,,en,UTC,true\n"
    "lost@corp.ru,Lost,lost@corp.ru,,nobody@corp.ru,,de,Mars/Olympus,true\n"
)


@pytest.mark.infra
async def test_csv_import_is_all_or_nothing_and_idempotent(running: tuple[Directory, httpx.AsyncClient]) -> None:
    _, client = running
    hr = await sign_in(client, "olga@owlery.dev")
    csv_headers = {**hr, "content-type": "text/csv"}

    rejected = await client.post("/people/import", content=BAD_CSV.encode(), headers=csv_headers)
    assert rejected.status_code == 422
    bad_lines = {(e["line"], e["field"]) for e in rejected.json()["errors"]}
    assert {(3, "email"), (4, "manager_user_name"), (4, "locale"), (4, "time_zone")} <= bad_lines
    ok = await client.get("/scim/v2/Users", params={"filter": 'userName eq "ok@corp.ru"'}, headers=SCIM)
    assert ok.json()["totalResults"] == 0  # the good row was not imported either

    first = await client.post("/people/import", content=GOOD_CSV.encode(), headers=csv_headers)
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "import_id": first.json()["import_id"]}
    again = await client.post("/people/import", content=GOOD_CSV.encode(), headers=csv_headers)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "import_id": again.json()["import_id"]}

    kate = (await client.get("/scim/v2/Users", params={"filter": 'userName eq "KATE@corp.ru"'}, headers=SCIM)).json()
    boss = (await client.get("/scim/v2/Users", params={"filter": 'userName eq "boss@corp.ru"'}, headers=SCIM)).json()
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert kate["Resources"][0][enterprise]["manager"]["value"] == boss["Resources"][0]["id"]


@pytest.mark.infra
async def test_every_import_run_is_in_the_history_for_hr_only(running: tuple[Directory, httpx.AsyncClient]) -> None:
    _, client = running
    hr = await sign_in(client, "olga@owlery.dev")
    csv_headers = {**hr, "content-type": "text/csv"}
    empty = await client.get("/imports", headers=hr)
    assert empty.json() == {"items": [], "total": 0, "offset": 0, "limit": 20}

    rejected = await client.post("/people/import", content=BAD_CSV.encode(), headers=csv_headers)
    imported = await client.post("/people/import", content=GOOD_CSV.encode(), headers=csv_headers)
    again = await client.post("/people/import", content=GOOD_CSV.encode(), headers=csv_headers)
    run_ids = [answer.json()["import_id"] for answer in (rejected, imported, again)]
    assert len(set(run_ids)) == 3

    history = (await client.get("/imports", headers=hr)).json()
    assert history["total"] == 3
    assert [run["id"] for run in history["items"]] == run_ids[::-1]  # newest first
    newest, middle, oldest = history["items"]
    olga = (await client.get("/people/me", headers=hr)).json()["id"]
    assert {run["started_by"] for run in history["items"]} == {olga}
    assert {run["source"] for run in history["items"]} == {"csv"}
    assert (newest["outcome"], newest["created"], newest["unchanged"]) == ("imported", 0, 2)
    assert (middle["outcome"], middle["created"], middle["refused"]) == ("imported", 2, 0)
    assert (oldest["outcome"], oldest["created"], oldest["refused"]) == ("rejected", 0, 2)  # lines 3 and 4
    assert "errors" not in oldest  # the list stays light; one run has its errors

    page = (await client.get("/imports", params={"limit": 1, "offset": 1}, headers=hr)).json()
    assert [run["id"] for run in page["items"]] == [run_ids[1]]
    assert (await client.get("/imports", params={"limit": 0}, headers=hr)).status_code == 422
    too_many = await client.get("/imports", params={"limit": 101}, headers=hr)
    assert too_many.status_code == 422
    assert "limit" in too_many.text

    refused = (await client.get(f"/imports/{run_ids[0]}", headers=hr)).json()
    assert refused["errors_truncated"] is False
    assert {(e["line"], e["field"]) for e in refused["errors"]} >= {(3, "email"), (4, "time_zone")}
    assert refused["errors_total"] == len(refused["errors"])
    assert (await client.get("/imports/imp-nothing", headers=hr)).status_code == 404

    admin = await sign_in(client, "root@owlery.dev")
    assert (await client.get(f"/imports/{run_ids[0]}", headers=admin)).status_code == 200
    anna = await sign_in(client, "anna@owlery.dev")
    assert (await client.get("/imports", headers=anna)).status_code == 403
    assert (await client.get(f"/imports/{run_ids[0]}", headers=anna)).status_code == 403


@pytest.mark.infra
async def test_a_huge_bad_file_keeps_its_first_errors_and_says_how_many(
    running: tuple[Directory, httpx.AsyncClient],
) -> None:
    _, client = running
    hr = await sign_in(client, "olga@owlery.dev")
    header = "user_name,display_name,email,locale,time_zone\n"
    rows = "".join(f"p{n}@corp.ru,P {n},not-an-email,ru,UTC\n" for n in range(300))
    csv_headers = {**hr, "content-type": "text/csv"}
    answer = await client.post("/people/import", content=(header + rows).encode(), headers=csv_headers)
    assert answer.status_code == 422
    run = (await client.get(f"/imports/{answer.json()['import_id']}", headers=hr)).json()
    assert (run["refused"], run["errors_total"], len(run["errors"]), run["errors_truncated"]) == (300, 300, 200, True)
    assert run["errors"][0] == {"line": 2, "field": "email", "message": run["errors"][0]["message"]}


@pytest.mark.infra
def test_the_import_command_reports_every_bad_row_and_imports_nothing(servers: Servers, tmp_path: Path) -> None:
    settings = settings_for(servers)
    environment = {
        **os.environ,
        "OWLERY_DIRECTORY_MONGODB_URL": settings.mongodb_url,
        "OWLERY_DIRECTORY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "OWLERY_DIRECTORY_MONGODB_DATABASE": settings.mongodb_database,
        "OWLERY_DIRECTORY_TOPIC_PREFIX": settings.topic_prefix,
        "OWLERY_DIRECTORY_DEV_DEMO_PEOPLE": "false",
        "OWLERY_DIRECTORY_MODE": "dev",
    }
    command = [sys.executable, "-m", "directory.entrypoints.cli", "import-csv"]
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    good.write_text("\ufeff" + GOOD_CSV, encoding="utf-8")  # Excel's BOM

    refused = subprocess.run([*command, str(bad)], env=environment, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "line 3 [email]" in refused.stderr
    assert "line 4 [time_zone]" in refused.stderr
    assert "nothing was imported" in refused.stderr

    imported = subprocess.run([*command, str(good)], env=environment, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    assert "2 created, 0 updated, 0 unchanged" in imported.stdout
    rerun = subprocess.run([*command, str(good)], env=environment, capture_output=True, text=True, timeout=120)
    assert "0 created, 0 updated, 2 unchanged" in rerun.stdout
    asyncio.run(_assert_three_command_line_runs(settings))


async def _assert_three_command_line_runs(settings: DirectorySettings) -> None:
    """The command's runs are in the history HR reads, marked as coming from the command line."""
    client = connect(settings.mongodb_url)
    try:
        runs, total = await MongoImportRuns(client[settings.mongodb_database]).page(0, 10)
        assert total == 3
        assert [(run.source, run.started_by, run.outcome) for run in runs] == [
            ("cli", "cli", "imported"),
            ("cli", "cli", "imported"),
            ("cli", "cli", "rejected"),
        ]
    finally:
        await client.drop_database(settings.mongodb_database)
        await client.close()


@pytest.mark.infra
async def test_production_refuses_the_development_sign_in(servers: Servers) -> None:
    with pytest.raises(ValueError, match="development"):
        settings_for(servers, mode="production", oidc_issuer="https://login.example.com", dev_issuer=True)
    default_token = SecretStr("dev-only-scim-token")
    with pytest.raises(ValueError, match="scim_token"):
        settings_for(
            servers,
            mode="production",
            oidc_issuer="https://idp.example.com",
            dev_issuer=False,
            scim_token=default_token,
        )


@pytest.mark.infra
async def test_authorisation_matrix(servers: Servers) -> None:
    settings = settings_for(servers, dev_demo_people=False)
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)

    async def new_person(person_id: str) -> str:
        body = {"userName": f"{person_id}@corp.test", "displayName": "Someone", "externalId": person_id}
        answer = await client.post("/scim/v2/Users", json=body, headers=SCIM)
        assert answer.status_code == 201, answer.text
        return person_id

    def about(method: str, path: str, json: dict[str, Any] | None = None) -> Any:
        """Like shared.auth.testing.about, but the owner exists in the directory first."""

        async def example(owner: str) -> Call:
            return Call(method, path.format(person=await new_person(owner)), json, missing_path=None)

        return example

    async def dev_token(owner: str) -> Call:
        await new_person(owner)
        return Call("POST", "/dev-oidc/token", {"user_name": f"{owner}@corp.test"})

    async def scim_create(owner: str) -> Call:
        return Call("POST", "/scim/v2/Users", {"userName": f"{owner}@corp.test", "displayName": "New"})

    async def scim_put(owner: str) -> Call:
        await new_person(owner)
        return Call("PUT", f"/scim/v2/Users/{owner}", {"userName": f"{owner}@corp.test", "displayName": "Renamed"})

    async def import_file(owner: str) -> Call:
        return Call("POST", "/people/import", csv=GOOD_CSV)

    async def an_import_run(owner: str) -> Call:
        run = await service.import_runs.get("imp-matrix")
        if run is None:
            moment = datetime(2030, 1, 1, tzinfo=UTC)
            await service.import_runs.record(finished_run("imp-matrix", moment, moment, "someone", "csv"))
        return Call("GET", "/imports/imp-matrix")

    patch = {"Operations": [{"op": "replace", "value": {"title": "Lead"}}]}
    examples = {
        "GET /dev-oidc/.well-known/openid-configuration": about("GET", "/dev-oidc/.well-known/openid-configuration"),
        "GET /dev-oidc/jwks": about("GET", "/dev-oidc/jwks"),
        "GET /dev-oidc/authorize": about(
            "GET",
            "/dev-oidc/authorize?response_type=code&client_id=portal&redirect_uri=http://portal.test/callback"
            f"&code_challenge={'a' * 43}&code_challenge_method=S256",
        ),
        "POST /dev-oidc/token": dev_token,
        "GET /scim/v2/ServiceProviderConfig": about("GET", "/scim/v2/ServiceProviderConfig"),
        "GET /scim/v2/Users": about("GET", "/scim/v2/Users"),
        "POST /scim/v2/Users": scim_create,
        "GET /scim/v2/Users/{person_id}": about("GET", "/scim/v2/Users/{person}"),
        "PUT /scim/v2/Users/{person_id}": scim_put,
        "PATCH /scim/v2/Users/{person_id}": about("PATCH", "/scim/v2/Users/{person}", patch),
        "DELETE /scim/v2/Users/{person_id}": about("DELETE", "/scim/v2/Users/{person}"),
        "GET /people/me": about("GET", "/people/me"),
        "GET /people/{person_id}": about("GET", "/people/{person}"),
        "POST /people/import": import_file,
        "GET /imports": about("GET", "/imports"),
        "GET /imports/{import_id}": an_import_run,
        "POST /people/{person_id}/erasure": about("POST", "/people/{person}/erasure", {"reason": "HR-1: erase me"}),
        "GET /people/{person_id}/export": about("GET", "/people/{person}/export"),
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://directory") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples, provisioning_token=SCIM_TOKEN)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []
