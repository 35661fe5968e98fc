"""Events the mentoring service subscribes to: the employee directory (more will be added here as they come)."""

from mentoring.service import handlers
from mentoring.service.ports import Ports
from shared.audit import AuditLog
from shared.messaging.consumer import ReliableConsumer
from shared.persistence.people import DirectoryCopy, follow_directory


def register(consumer: ReliableConsumer, *, ports: Ports, people: DirectoryCopy, audit: AuditLog | None = None) -> None:
    """Every subscription of the service, in one place."""

    async def erase(person_id: str) -> None:
        await handlers.erase_person(person_id, ports)

    follow_directory(consumer, people, erase, audit)
