"""The seed case issued once per test: the Mouthoumet convention's titre of 10 January 2022."""

import datetime

import pytest

from facturation.services import emettre_titre
from tests.trust.conftest import autorite, certificat_academie  # noqa: F401 (the test PKI, for signed titres)

from .en16931 import ReglesEN16931
from .factories import convention_du_seed

DATE_SEED = datetime.date(2022, 1, 10)


@pytest.fixture
def convention_seed(db):
    return convention_du_seed()


@pytest.fixture
def titre_seed(convention_seed):
    return emettre_titre(convention_seed, date_emission=DATE_SEED)


@pytest.fixture(scope="session")
def en16931():
    """The EN 16931 rules, compiled once per test session."""
    return ReglesEN16931()
