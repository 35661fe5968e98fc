"""Events the enrolment service subscribes to: none yet (the directory and mentoring issues add some)."""

from shared.messaging.consumer import ReliableConsumer


def register(consumer: ReliableConsumer) -> None:
    """Every subscription of the service, in one place."""
