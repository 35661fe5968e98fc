"""The one place where the directory service is wired together."""

from dataclasses import dataclass

from directory.adapters.repository import MongoImportRuns, MongoPeople
from directory.config import DirectorySettings
from directory.entrypoints import dev_issuer
from shared.auth.signing import TokenSigner
from shared.auth.tokens import KeySet, TokenVerifier, static_key_fetcher
from shared.contracts import directory as contracts
from shared.observability import configure_logging
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime


@dataclass
class Directory:
    runtime: ServiceRuntime
    settings: DirectorySettings
    people: MongoPeople
    import_runs: MongoImportRuns
    signer: TokenSigner | None
    """The development issuer's signer (dev mode only)."""


def bootstrap(settings: DirectorySettings | None = None) -> Directory:
    settings = settings or DirectorySettings()
    configure_logging("directory", settings.log_level)
    runtime = ServiceRuntime(
        settings,
        name="directory",
        publishes=[contracts.PersonUpsertedV1, contracts.PersonDeactivatedV1, contracts.PersonErasedV1],
        outbox_collections=["people_commits"],
    )
    store = VersionedStore(runtime.database, "people", on_commit=runtime.relay.notify)
    runtime.on_start(store.ensure_indexes)
    people = MongoPeople(store, runtime.database)
    signer = None
    if settings.mode == "dev" and settings.dev_issuer:
        pem = settings.dev_issuer_key_pem
        signer = TokenSigner(settings.dev_issuer_url, pem.get_secret_value()) if pem else None
        signer = signer or TokenSigner.generate(settings.dev_issuer_url)
        if settings.oidc_issuer == settings.dev_issuer_url:
            # Trust our own issuer without calling ourselves over HTTP.
            keys = KeySet(static_key_fetcher(signer.jwks()))
            runtime.token_verifier = TokenVerifier(runtime.token_verifier.rules, keys)
        if settings.dev_demo_people:
            runtime.on_start(lambda: dev_issuer.seed_demo_people(people))
    return Directory(
        runtime=runtime, settings=settings, people=people, import_runs=MongoImportRuns(runtime.database), signer=signer
    )
