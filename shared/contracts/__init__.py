"""Event contracts: one module per producing service, every event a closed pydantic model.

Importing this package registers every contract, so `contract_for(ce_type)` knows them all.
"""

from shared.contracts import directory, enrolment, gamification, mentoring
from shared.contracts.base import IntegrationEvent, all_contracts, contract_for

__all__ = ["IntegrationEvent", "all_contracts", "contract_for", "directory", "enrolment", "gamification", "mentoring"]
