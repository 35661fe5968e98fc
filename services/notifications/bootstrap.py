"""The one place where the notifications service is wired together."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from notifications.adapters.chat import ChatChannel
from notifications.adapters.cohorts import MongoCohorts
from notifications.adapters.deliveries import MongoNotifications
from notifications.adapters.email import SmtpChannel, SmtpSettings
from notifications.adapters.email_templates import EmailRenderer
from notifications.adapters.lrs import HttpLrsSender, MongoStatementLog
from notifications.adapters.preferences import MongoPreferences
from notifications.adapters.repository import MongoInbox, MongoPeople
from notifications.adapters.routing_file import load_routing
from notifications.adapters.templates import JinjaRenderer
from notifications.adapters.webhooks import HttpWebhookSender, MongoWebhookDeliveries, MongoWebhookSubscriptions
from notifications.config import NotificationsSettings
from notifications.domain.routing import Channel, RoutingTable
from notifications.domain.xapi import Vocabulary
from notifications.entrypoints import consumers
from notifications.service.delivery import Delivery
from notifications.service.learning_records import LearningRecords
from notifications.service.webhooks import Webhooks
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
    routes: RoutingTable
    delivery: Delivery
    """Notices to the inbox, email and chat, reminders, and the sending of what is due."""
    webhooks: Webhooks
    learning_records: LearningRecords | None
    """xAPI statements for the Learning Record Store; None when no LRS is configured."""
    clock: Callable[[], datetime]
    """Now, as the sender, the reminders and the webhooks see it (a test moves it)."""


def bootstrap(settings: NotificationsSettings | None = None) -> Notifications:
    settings = settings or NotificationsSettings()
    configure_logging("notifications", settings.log_level)
    runtime = ServiceRuntime(settings, name="notifications", publishes=[], outbox_collections=[])
    directory = DirectoryCopy(runtime.database, fields=DIRECTORY_FIELDS)
    people = MongoPeople(runtime.database, directory)
    inbox = MongoInbox(runtime.database)
    renderer = JinjaRenderer()
    smtp = SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
    )

    def now() -> datetime:
        return service.clock()

    delivery = Delivery(
        inbox=inbox,
        people=people,
        preferences=MongoPreferences(runtime.database),
        notifications=(notifications := MongoNotifications(runtime.database)),
        cohorts=MongoCohorts(runtime.database),
        texts=renderer,
        emails=EmailRenderer(preferences_url=settings.preferences_url),
        channels={Channel.EMAIL: SmtpChannel(smtp), Channel.CHAT: ChatChannel()},
        clock=now,
        chat_address=settings.chat_webhook_url,
        session_leads=tuple(timedelta(hours=hours) for hours in settings.session_reminder_hours),
        homework_lead=timedelta(hours=settings.homework_reminder_hours),
    )
    webhook_deliveries = MongoWebhookDeliveries(runtime.database)
    webhooks = Webhooks(
        MongoWebhookSubscriptions(runtime.database),
        webhook_deliveries,
        HttpWebhookSender(),
        now,
        allow_private_urls=settings.mode == "dev",
        first_attempt_in_background=True,  # a slow subscriber must not hold up the consumer
    )
    learning_records = None
    if settings.lrs_endpoint:
        statement_log = MongoStatementLog(runtime.database)
        learning_records = LearningRecords(
            statement_log,
            HttpLrsSender(
                settings.lrs_endpoint,
                settings.lrs_username,
                settings.lrs_password.get_secret_value() if settings.lrs_password else None,
            ),
            Vocabulary(settings.xapi_home_page),
            now,
        )
        runtime.on_start(statement_log.ensure_indexes)
        runtime.every(settings.lrs_retry_seconds, learning_records.retry_due, "retry-lrs-statements")
    service = Notifications(
        runtime=runtime,
        inbox=inbox,
        people=people,
        directory=directory,
        renderer=renderer,
        routes=load_routing(),
        delivery=delivery,
        webhooks=webhooks,
        learning_records=learning_records,
        clock=lambda: datetime.now(UTC),
    )
    runtime.on_start(inbox.ensure_indexes)
    runtime.on_start(notifications.ensure_indexes)
    runtime.on_start(webhook_deliveries.ensure_indexes)
    runtime.on_start(people.move_legacy_locales)
    consumers.register(runtime.consumer, service.routes, delivery, webhooks, directory, runtime.audit, learning_records)
    runtime.every(settings.send_check_seconds, delivery.send_due, "send-due-notifications")
    runtime.every(settings.reminder_check_seconds, delivery.remind_due, "fire-due-reminders")
    runtime.every(settings.webhook_retry_seconds, webhooks.retry_due, "retry-webhooks")
    return service
