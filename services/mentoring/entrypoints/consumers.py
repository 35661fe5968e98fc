"""Events the mentoring service subscribes to: none yet (subscriptions will be added here as they come)."""

from shared.messaging.consumer import ReliableConsumer


def register(consumer: ReliableConsumer) -> None:
    """Every subscription of the service, in one place."""
