"""The routing table as shipped with the service: `routing.toml` beside the package's code."""

import tomllib
from pathlib import Path

from notifications.domain.model import Template
from notifications.domain.routing import RoutingTable

ROUTING_FILE = Path(__file__).resolve().parent.parent / "routing.toml"


def load_routing(path: Path = ROUTING_FILE) -> RoutingTable:
    with path.open("rb") as file:
        return RoutingTable.from_data(tomllib.load(file), [template.value for template in Template])
