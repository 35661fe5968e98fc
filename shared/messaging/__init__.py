"""Kafka plumbing every service shares: CloudEvents envelope, outbox relay, reliable consumption."""
