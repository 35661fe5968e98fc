"""The base of every integration event: its CloudEvents type, its topic and its partition key.

A contract is versioned by its type name (`com.owlery.<service>.<entity>.<action>.v<N>`):
a breaking change is a new class with a new `vN`, never an edit of the old one.
"""

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

TYPE_PATTERN = re.compile(r"^com\.owlery\.[a-z]+\.[a-z_]+\.[a-z_]+\.v[1-9][0-9]*$")

_REGISTRY: dict[str, type["IntegrationEvent"]] = {}


class IntegrationEvent(BaseModel):
    """Data of one event as it travels between services (CloudEvents binary mode: this is the body)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ce_type: ClassVar[str]
    """CloudEvents `type`, the name other systems subscribe to."""
    topic: ClassVar[str]
    """Kafka topic (before the deployment's prefix) that carries this event."""
    key_field: ClassVar[str]
    """Field whose value is the record key: one aggregate's events stay on one partition, in order."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "ce_type" not in cls.__dict__:
            return  # an intermediate base class
        if not TYPE_PATTERN.match(cls.ce_type):
            raise TypeError(f"{cls.__name__}: event type {cls.ce_type!r} breaks the naming rule")
        if cls.ce_type in _REGISTRY:
            raise TypeError(f"{cls.__name__}: event type {cls.ce_type!r} is declared twice")
        _REGISTRY[cls.ce_type] = cls

    @property
    def key(self) -> str:
        return str(getattr(self, self.key_field))


def contract_for(ce_type: str) -> type[IntegrationEvent] | None:
    return _REGISTRY.get(ce_type)


def all_contracts() -> list[type[IntegrationEvent]]:
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]
