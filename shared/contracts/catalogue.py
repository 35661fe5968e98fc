"""The committed catalogue of event schemas, and the check that guards it.

`python -m shared.contracts.catalogue write` regenerates `shared/contracts/schemas/` and the merged
AsyncAPI catalogue `shared/contracts/asyncapi.json` from the code; `check` fails when code and catalogue
differ. Neither lets a backward-incompatible change through: a removed or retyped field, a new required
field, or a removed event type needs a new `vN` type.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from shared.contracts.asyncapi import catalogue_document
from shared.contracts.base import IntegrationEvent, all_contracts

SCHEMA_DIR = Path(__file__).parent / "schemas"
ASYNCAPI_FILE = Path(__file__).parent / "asyncapi.json"
"""Every event type in one AsyncAPI 3.0.0 document, for subscribers (see the README)."""

# Words that document a field without changing what a valid event is.
_DOC_KEYS = frozenset({"title", "description", "examples", "default"})


def schema_of(contract: type[IntegrationEvent]) -> dict[str, Any]:
    schema = contract.model_json_schema()
    schema["$id"] = contract.ce_type
    schema["x-topic"] = contract.topic
    schema["x-key"] = contract.key_field
    return schema


def generated() -> dict[str, dict[str, Any]]:
    return {contract.ce_type: schema_of(contract) for contract in all_contracts()}


def committed(directory: Path = SCHEMA_DIR) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _shape(value: Any) -> Any:
    """A field's schema without its documentation: what decides whether a value is valid."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items() if key not in _DOC_KEYS}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return value


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a consumer written against `old` would trip over in `new` (and vice versa)."""
    problems: list[str] = []
    old_fields: dict[str, Any] = old.get("properties", {})
    new_fields: dict[str, Any] = new.get("properties", {})
    for name, old_field in old_fields.items():
        if name not in new_fields:
            problems.append(f"field '{name}' was removed")
        elif _shape(old_field) != _shape(new_fields[name]):
            problems.append(f"field '{name}' changed type")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        problems.append(f"field '{name}' became required")
    if _shape(old.get("$defs", {})) != _shape(new.get("$defs", {})):
        problems.append("a nested definition changed")
    for attribute in ("x-topic", "x-key"):
        if old.get(attribute) != new.get(attribute):
            problems.append(f"{attribute} changed from {old.get(attribute)!r} to {new.get(attribute)!r}")
    return problems


def compare(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> tuple[dict[str, list[str]], list[str]]:
    """Breaking changes per event type, and the types whose schema merely needs regenerating."""
    breaking: dict[str, list[str]] = {}
    outdated: list[str] = []
    for ce_type, old_schema in old.items():
        if ce_type not in new:
            breaking[ce_type] = ["event type was removed (keep publishing it or keep its contract)"]
            continue
        problems = breaking_changes(old_schema, new[ce_type])
        if problems:
            breaking[ce_type] = problems
        elif render(old_schema) != render(new[ce_type]):
            outdated.append(ce_type)
    outdated.extend(sorted(set(new) - set(old)))
    return breaking, outdated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.contracts.catalogue", description=__doc__)
    parser.add_argument("command", choices=["check", "write"])
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR)
    parser.add_argument("--asyncapi", type=Path, default=ASYNCAPI_FILE)
    args = parser.parse_args(argv)
    breaking, outdated = compare(committed(args.dir), generated())
    for ce_type, problems in breaking.items():
        for problem in problems:
            print(f"BREAKING {ce_type}: {problem}; publish a new v<N+1> type instead", file=sys.stderr)
    if breaking:
        return 1
    asyncapi = render(catalogue_document())
    if args.command == "check":
        for ce_type in outdated:
            print(f"OUT OF DATE {ce_type}: run `make schemas` and commit the result", file=sys.stderr)
        stale = not args.asyncapi.is_file() or args.asyncapi.read_text() != asyncapi
        if stale:
            print(f"OUT OF DATE {args.asyncapi.name}: run `make schemas` and commit the result", file=sys.stderr)
        return 1 if outdated or stale else 0
    args.dir.mkdir(parents=True, exist_ok=True)
    for ce_type, schema in generated().items():
        (args.dir / f"{ce_type}.json").write_text(render(schema))
    args.asyncapi.write_text(asyncapi)
    print(f"wrote {len(generated())} schemas to {args.dir} and the AsyncAPI catalogue to {args.asyncapi}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
