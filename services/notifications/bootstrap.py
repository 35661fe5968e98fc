"""The one place where the notifications service is wired together."""

from dataclasses import dataclass

from notifications.adapters.repository import MongoInbox, MongoPeople
from notifications.adapters.templates import JinjaRenderer
from notifications.config import NotificationsSettings
from notifications.entrypoints import consumers
from shared.observability import configure_logging
from shared.runtime import ServiceRuntime


@dataclass
class Notifications:
    runtime: ServiceRuntime
    inbox: MongoInbox
    people: MongoPeople
    renderer: JinjaRenderer


def bootstrap(settings: NotificationsSettings | None = None) -> Notifications:
    settings = settings or NotificationsSettings()
    configure_logging("notifications", settings.log_level)
    runtime = ServiceRuntime(settings, name="notifications", publishes=[], outbox_collections=[])
    service = Notifications(
        runtime=runtime,
        inbox=MongoInbox(runtime.database),
        people=MongoPeople(runtime.database),
        renderer=JinjaRenderer(),
    )
    runtime.on_start(service.inbox.ensure_indexes)
    consumers.register(runtime.consumer, service.inbox, service.people)
    return service
