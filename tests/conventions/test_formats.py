import datetime
from decimal import Decimal

import pytest

from documents.formats import date_en_lettres, date_longue, euros, euros_en_lettres, pluriel

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "text"),
    [("50", "50,00 €"), ("1250", "1 250,00 €"), ("0", "0,00 €"), ("-50", "-50,00 €"), ("12.345", "12,35 €")],
)
def test_amounts_in_figures(amount, text):
    """Comma for decimals, non-breaking spaces for thousands and before €, cents rounded half up."""
    assert euros(Decimal(amount)) == text.replace(" ", NBSP)


def test_whole_amounts_without_cents_as_article_7_writes_them():
    """The convention writes "50 € TTC": a whole amount drops its cents on request, an odd one keeps them."""
    assert euros(Decimal("50"), decimals=False) == f"50{NBSP}€"
    assert euros(Decimal("52.50"), decimals=False) == f"52,50{NBSP}€"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("50", "cinquante euros"),
        ("1", "un euro"),
        ("1250", "mille deux cent cinquante euros"),
        ("52.50", "cinquante-deux euros et cinquante centimes"),
    ],
)
def test_amounts_in_words(amount, words):
    """The titre states its amount in words, with euro and centime agreeing in number."""
    assert euros_en_lettres(Decimal(amount)) == words


def test_dates():
    """ "13 septembre 2021"; the first of the month is "1er", or "01" where Article 3 pads it."""
    assert date_longue(datetime.date(2021, 9, 13)) == "13 septembre 2021"
    assert date_longue(datetime.date(2022, 9, 1)) == "1er septembre 2022"
    assert date_longue(datetime.date(2022, 9, 1), zero_pad=True) == "01 septembre 2022"


def test_signature_date_in_words():
    """The seed's signature line reads "le treize septembre 2021"."""
    assert date_en_lettres(datetime.date(2021, 9, 13)) == "treize septembre 2021"
    assert date_en_lettres(datetime.date(2022, 5, 1)) == "premier mai 2022"


@pytest.mark.parametrize(("count", "text"), [(0, "0 école"), (1, "1 école"), (2, "2 écoles"), (25, "25 écoles")])
def test_plurals(count, text):
    """French takes the singular below two."""
    assert pluriel(count, "école") == text
