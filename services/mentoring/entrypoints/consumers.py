"""Events the mentoring service subscribes to: the employee directory, and what feeds the knowledge base."""

from mentoring.service import handlers, knowledge
from mentoring.service.knowledge import KnowledgeBase
from mentoring.service.ports import Ports
from shared.audit import AuditLog
from shared.contracts.enrolment import ConferenceTalkRecordingAttachedV1, MasterClassRecordingAttachedV1
from shared.contracts.mentoring import SolutionPromotedV1
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import ReliableConsumer
from shared.persistence.people import DirectoryCopy, follow_directory


def register(
    consumer: ReliableConsumer,
    *,
    ports: Ports,
    people: DirectoryCopy,
    audit: AuditLog | None = None,
    knowledge_base: KnowledgeBase | None = None,
) -> None:
    """Every subscription of the service, in one place."""

    async def erase(person_id: str) -> None:
        await handlers.erase_person(person_id, ports)

    follow_directory(consumer, people, erase, audit)
    if knowledge_base is not None:
        register_knowledge_base(consumer, ports=ports, knowledge_base=knowledge_base)


def register_knowledge_base(consumer: ReliableConsumer, *, ports: Ports, knowledge_base: KnowledgeBase) -> None:
    """Items of the knowledge base from events: master-class and conference-talk recordings, our promoted solutions."""

    async def master_class_recorded(event: MasterClassRecordingAttachedV1, _: Envelope) -> None:
        await knowledge.master_class_recorded(knowledge_base, event)

    async def solution_promoted(event: SolutionPromotedV1, _: Envelope) -> None:
        # Only open circles' solutions: anyone may read the knowledge base, not anyone a closed circle.
        entry, _version = await handlers.load(ports.library, event.entry_id, "library entry")
        circle, _version = await handlers.load(ports.circles, entry.circle_id, "circle")
        if circle.join_policy.value == "open":
            await knowledge.solution_promoted(knowledge_base, entry)

    async def conference_talk_recorded(event: ConferenceTalkRecordingAttachedV1, _: Envelope) -> None:
        await knowledge.conference_talk_recorded(knowledge_base, event)

    consumer.on(MasterClassRecordingAttachedV1, master_class_recorded)
    consumer.on(ConferenceTalkRecordingAttachedV1, conference_talk_recorded)
    consumer.on(SolutionPromotedV1, solution_promoted)
