import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _messages_in_english():
    # The assertions read the English source messages; the Spanish ones are checked by tests/test_translations.py.
    with translation.override("en"):
        yield
