"""Article 7 of the convention PDF agrees in number and computes its amounts, for 0, 1, 2 and 25 schools."""

from decimal import Decimal

import pytest

from conventions.documents import article_7, convention_document, tarif_en_euros
from documents.formats import majuscules
from documents.pdf import render
from tests.factories import AnneeScolaireFactory, ConventionFactory

from .pdf_support import loaded, one_line, pages_text

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (
            0,
            f"0 école est inscrite à l'ENT-école pour un montant correspondant à 0{NBSP}€ TTC "
            f"(0 école x 50{NBSP}€ TTC).",
        ),
        (
            1,
            f"1 école est inscrite à l'ENT-école pour un montant correspondant à 50{NBSP}€ TTC "
            f"(1 école x 50{NBSP}€ TTC).",
        ),
        (
            2,
            f"2 écoles sont inscrites à l'ENT-école pour un montant correspondant à 100{NBSP}€ TTC "
            f"(2 écoles x 50{NBSP}€ TTC).",
        ),
        (
            25,
            f"25 écoles sont inscrites à l'ENT-école pour un montant correspondant à 1{NBSP}250{NBSP}€ TTC "
            f"(25 écoles x 50{NBSP}€ TTC).",
        ),
    ],
)
def test_article_7_agrees_with_the_schools_listed(db, count, expected):
    """The sentence agrees in number, the amount is the count times the rate, thousands split by a non-breaking
    space, and Annexe 1 lists as many rows as the sentence counts."""
    convention = loaded(ConventionFactory(ecoles=count))
    pages = pages_text(render(convention_document(convention))[2])
    text = one_line("\n".join(pages))
    assert f"Au titre de l'année scolaire 2021-2022, {expected}" in text
    annexe = one_line("\n".join(page for page in pages if "ANNEXE 1 - Liste" in page))
    if count:
        assert f" {count} {convention.inscriptions.all()[count - 1].ecole.uai} - " in annexe
        assert f" {count + 1} 011" not in annexe
    else:
        assert "Aucune école inscrite." in annexe


def test_rate_with_cents(db):
    """A rate with cents keeps them, in figures with a decimal comma: 3 × 12,50 € = 37,50 €."""
    annee = AnneeScolaireFactory(libelle="2025-2026", tarif_par_ecole=Decimal("12.50"))
    convention = loaded(ConventionFactory(annee=annee, ecoles=3))
    text = one_line("\n".join(pages_text(render(convention_document(convention))[2])))
    assert f"pour un montant correspondant à 37,50{NBSP}€ TTC (3 écoles x 12,50{NBSP}€ TTC)." in text
    assert f"fixé à 12,50{NBSP}euros TTC par école et par an." in text


def test_wording_helpers():
    """The pieces of Article 5 and 7, and capitals without accents as the convention writes names."""
    assert [article_7(n) for n in (0, 1, 2)] == [
        "0 école est inscrite",
        "1 école est inscrite",
        "2 écoles sont inscrites",
    ]
    assert tarif_en_euros(Decimal("1250")) == f"1{NBSP}250{NBSP}euros"
    assert majuscules("Académie de Montpellier") == "ACADEMIE DE MONTPELLIER"
    assert majuscules("Lézignan-Corbières") == "LEZIGNAN-CORBIERES"
    assert majuscules("Béjean") == "BEJEAN"
