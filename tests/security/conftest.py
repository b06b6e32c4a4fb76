import pytest

from clemency.security.keys import IntakePrivateKey, LocalKeyProvider, random_key


@pytest.fixture(scope="session")
def intake_private_key():
    return IntakePrivateKey.generate()


@pytest.fixture
def provider(intake_private_key):
    return LocalKeyProvider(
        keks={1: random_key()},
        index_key=random_key(),
        audit_key=random_key(),
        intake_private=intake_private_key,
    )
