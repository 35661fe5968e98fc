"""The schema catalogue check: what it calls breaking, and that it fails on a tampered catalogue."""

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from shared.contracts import all_contracts
from shared.contracts.catalogue import SCHEMA_DIR, breaking_changes, committed, compare, generated, main, render

COURSE_CREATED = "com.owlery.enrolment.course.created.v1"


def schema() -> dict[str, Any]:
    return {
        "$id": "com.owlery.test.thing.happened.v1",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "thing_id": {"type": "string", "title": "Thing Id", "description": "Id of the thing"},
            "count": {"type": "integer", "minimum": 1},
        },
        "required": ["thing_id", "count"],
        "x-topic": "owlery.test.events",
        "x-key": "thing_id",
    }


def test_an_identical_schema_has_no_breaking_changes() -> None:
    assert breaking_changes(schema(), schema()) == []


def test_a_removed_field_is_breaking() -> None:
    new = schema()
    del new["properties"]["count"]
    new["required"].remove("count")

    assert breaking_changes(schema(), new) == ["field 'count' was removed"]


def test_a_retyped_field_is_breaking() -> None:
    new = schema()
    new["properties"]["count"]["type"] = "string"

    assert breaking_changes(schema(), new) == ["field 'count' changed type"]


def test_a_tightened_constraint_is_breaking() -> None:
    new = schema()
    new["properties"]["count"]["minimum"] = 2

    assert breaking_changes(schema(), new) == ["field 'count' changed type"]


def test_a_new_required_field_is_breaking() -> None:
    new = schema()
    new["properties"]["colour"] = {"type": "string"}
    new["required"].append("colour")

    assert breaking_changes(schema(), new) == ["field 'colour' became required"]


def test_an_existing_field_becoming_required_is_breaking() -> None:
    old = schema()
    old["required"].remove("count")

    assert breaking_changes(old, schema()) == ["field 'count' became required"]


def test_a_new_optional_field_is_not_breaking() -> None:
    new = schema()
    new["properties"]["colour"] = {"type": "string", "default": "blue"}

    assert breaking_changes(schema(), new) == []


def test_changed_documentation_is_not_breaking() -> None:
    new = schema()
    new["properties"]["thing_id"]["description"] = "Something else entirely"
    new["properties"]["thing_id"]["title"] = "Renamed"
    new["properties"]["count"]["examples"] = [3]
    new["description"] = "A new description of the event"

    assert breaking_changes(schema(), new) == []


def test_a_moved_topic_or_key_is_breaking() -> None:
    new = schema()
    new["x-topic"] = "owlery.other.events"
    new["x-key"] = "count"

    problems = breaking_changes(schema(), new)

    assert len(problems) == 2
    assert any("x-topic" in p for p in problems)
    assert any("x-key" in p for p in problems)


def test_compare_reports_a_removed_type_as_breaking_and_a_new_type_as_outdated() -> None:
    old = {"com.owlery.test.old.gone.v1": schema(), "com.owlery.test.thing.happened.v1": schema()}
    new = {"com.owlery.test.thing.happened.v1": schema(), "com.owlery.test.new.arrived.v1": schema()}

    breaking, outdated = compare(old, new)

    assert list(breaking) == ["com.owlery.test.old.gone.v1"]
    assert "removed" in breaking["com.owlery.test.old.gone.v1"][0]
    assert outdated == ["com.owlery.test.new.arrived.v1"]


def test_compare_reports_a_doc_only_change_as_outdated_not_breaking() -> None:
    new = copy.deepcopy(schema())
    new["properties"]["thing_id"]["description"] = "Changed"

    assert compare({"t": schema()}, {"t": new}) == ({}, ["t"])


def test_the_committed_catalogue_matches_the_code() -> None:
    assert compare(committed(), generated()) == ({}, [])
    assert sorted(committed()) == sorted(contract.ce_type for contract in all_contracts())


def test_check_passes_on_an_exact_copy_of_the_committed_schemas(tmp_path: Path) -> None:
    shutil.copytree(SCHEMA_DIR, tmp_path, dirs_exist_ok=True)

    assert main(["check", "--dir", str(tmp_path)]) == 0


def test_check_fails_on_an_empty_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--dir", str(tmp_path)]) == 1
    assert "OUT OF DATE" in capsys.readouterr().err


def tamper(directory: Path, ce_type: str, change: Any) -> None:
    shutil.copytree(SCHEMA_DIR, directory, dirs_exist_ok=True)
    path = directory / f"{ce_type}.json"
    committed_schema = json.loads(path.read_text())
    change(committed_schema)
    path.write_text(render(committed_schema))


def test_check_fails_when_the_code_requires_a_field_the_catalogue_did_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As if the code had just made `capacity` required: consumers of the committed schema would break.
    tamper(tmp_path, COURSE_CREATED, lambda s: s["required"].remove("capacity"))

    assert main(["check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"BREAKING {COURSE_CREATED}: field 'capacity' became required" in err


def test_check_fails_when_the_code_dropped_a_committed_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_field(s: dict[str, Any]) -> None:
        s["properties"]["room"] = {"type": "string"}
        s["required"].append("room")

    tamper(tmp_path, COURSE_CREATED, add_field)

    assert main(["check", "--dir", str(tmp_path)]) == 1
    assert "field 'room' was removed" in capsys.readouterr().err


def test_check_fails_when_a_committed_type_is_no_longer_in_the_code(tmp_path: Path) -> None:
    shutil.copytree(SCHEMA_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "com.owlery.enrolment.course.archived.v1.json").write_text(render(schema()))

    assert main(["check", "--dir", str(tmp_path)]) == 1


def test_check_fails_but_does_not_rewrite_on_a_doc_only_drift(tmp_path: Path) -> None:
    tamper(tmp_path, COURSE_CREATED, lambda s: s["properties"]["title"].update(description="stale words"))
    before = (tmp_path / f"{COURSE_CREATED}.json").read_text()

    assert main(["check", "--dir", str(tmp_path)]) == 1
    assert (tmp_path / f"{COURSE_CREATED}.json").read_text() == before


def test_check_leaves_the_real_catalogue_alone(tmp_path: Path) -> None:
    before = {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.json")}
    main(["check", "--dir", str(tmp_path)])
    assert {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.json")} == before
