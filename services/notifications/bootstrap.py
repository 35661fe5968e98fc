"""The one place where the notifications service is wired together."""

from dataclasses import dataclass

from notifications.adapters.repository import MongoInbox, MongoPeople
from notifications.adapters.templates import JinjaRenderer
from notifications.config import NotificationsSettings
from notifications.entrypoints import consumers
from shared.observability import configure_logging
from shared.persistence.people import DirectoryCopy
from shared.runtime import ServiceRuntime

DIRECTORY_FIELDS = ("display_name", "email", "locale", "time_zone")
"""What notifications keeps of the directory: whom to address, where, in which language and time zone."""


@dataclass
class Notifications:
    runtime: ServiceRuntime
    inbox: MongoInbox
    people: MongoPeople
    """What the service knows of people (the directory copy first, then languages events told); pass it to the
    use cases, the privacy ones included."""
    directory: DirectoryCopy
    """This service's copy of the directory (the `people` collection), which `people` reads from."""
    renderer: JinjaRenderer


def bootstrap(settings: NotificationsSettings | None = None) -> Notifications:
    settings = settings or NotificationsSettings()
    configure_logging("notifications", settings.log_level)
    runtime = ServiceRuntime(settings, name="notifications", publishes=[], outbox_collections=[])
    directory = DirectoryCopy(runtime.database, fields=DIRECTORY_FIELDS)
    service = Notifications(
        runtime=runtime,
        inbox=MongoInbox(runtime.database),
        people=MongoPeople(runtime.database, directory),
        directory=directory,
        renderer=JinjaRenderer(),
    )
    runtime.on_start(service.inbox.ensure_indexes)
    runtime.on_start(service.people.move_legacy_locales)
    consumers.register(runtime.consumer, service.inbox, service.people, directory, runtime.audit)
    return service
