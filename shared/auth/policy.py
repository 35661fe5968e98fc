"""Declarative access policy: for each endpoint, which roles may call it and which ownership rule must hold.

Each service writes one `Policy` (a mapping "METHOD /path/{param}" → `Access`), next to its HTTP
entrypoint, so the whole of who-may-do-what fits on one screen. An endpoint with no entry is
refused (deny by default), and each service's authorisation-matrix test fails until it has one.
"""

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.auth.tokens import EMPLOYEE, ROLES, Principal


@dataclass(frozen=True)
class RequestFacts:
    """What an ownership rule may look at: the path parameters and the JSON body of the request."""

    path: Mapping[str, str]
    body: Mapping[str, Any]


OwnershipRule = Callable[[Principal, RequestFacts], Awaitable[bool]]
"""True if the caller owns what the request is about; raises `NotFound` if it does not exist."""


@dataclass(frozen=True)
class Access:
    roles: frozenset[str] = frozenset()
    """Roles that may call the endpoint at all."""
    owner: str | None = None
    """Name of the ownership rule that must also hold (e.g. "own record", "trainer of this course")..."""
    unless: frozenset[str] = frozenset()
    """...unless the caller has one of these roles (an HR admin acting for anyone, say)."""
    public: bool = False
    """No token needed (health probes, the development issuer's sign-in)."""
    scheme: str = "oidc"
    """How the caller proves who they are: an OIDC access token, or "provisioning" (the HR system's bearer token)."""

    def __post_init__(self) -> None:
        unknown = (self.roles | self.unless) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles in policy: {sorted(unknown)}")

    def admits_role(self, roles: Collection[str]) -> bool:
        return self.public or not self.roles.isdisjoint(roles)

    def needs_ownership(self, roles: Collection[str]) -> bool:
        return self.owner is not None and self.unless.isdisjoint(roles)


def allow(*roles: str, owner: str | None = None, unless: Collection[str] = ()) -> Access:
    return Access(roles=frozenset(roles), owner=owner, unless=frozenset(unless))


SIGNED_IN = allow(EMPLOYEE)
PUBLIC = Access(public=True)
PROVISIONING = Access(scheme="provisioning")

Policy = Mapping[str, Access]

OWN_RECORD = "own record"


def own_record(field_name: str = "person_id") -> OwnershipRule:
    """The caller is the person the path (or, failing that, the body) names in `field_name`."""

    async def rule(principal: Principal, facts: RequestFacts) -> bool:
        named = facts.path.get(field_name, facts.body.get(field_name))
        return named == principal.person_id

    return rule


@dataclass(frozen=True)
class Guardrails:
    """A service's policy with the ownership rules it names."""

    policy: Policy
    rules: Mapping[str, OwnershipRule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        named = {access.owner for access in self.policy.values() if access.owner}
        missing = named - set(self.rules)
        if missing:
            raise ValueError(f"policy names ownership rules nobody defined: {sorted(missing)}")
