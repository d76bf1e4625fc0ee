"""Annexe 1 of the convention PDF for 1, 15 and 300 schools and for long names: complete, ordered, paginated."""

import re

import pytest

from conventions.documents import convention_document
from documents.pdf import render
from tests.factories import CollectiviteFactory, CommuneFactory, ConventionFactory, EcoleFactory

from .pdf_support import PAGE_FOOTER_RE, loaded, one_line, pages_text

ANNEXE_TITLE = "ANNEXE 1 - Liste des écoles inscrites à l'ENT-école pour l'année scolaire 2021-2022"


def annexe_pages(pages: list[str]) -> list[int]:
    return [index for index, page in enumerate(pages) if "ANNEXE 1 - Liste" in page]


@pytest.mark.parametrize("count", [1, 15, 300])
def test_every_school_once_in_order_with_numbered_pages_and_repeated_header(db, count):
    """Each UAI appears once, in UAI order and numbered; the annexe starts on its own page, after the signatures;
    every page is numbered "Page X / Y"; the header row repeats at the top of each page of the annexe."""
    convention = loaded(ConventionFactory(ecoles=count))
    uais = [inscription.ecole.uai for inscription in convention.inscriptions.all()]
    assert uais == sorted(uais) and len(uais) == count

    pages = pages_text(render(convention_document(convention))[2])
    text = "\n".join(pages)

    for number, page in enumerate(pages, start=1):
        assert PAGE_FOOTER_RE.findall(page) == [(str(number), str(len(pages)))]

    annexe = annexe_pages(pages)
    assert annexe == list(range(annexe[0], len(pages))), "l'annexe doit occuper les dernières pages, sans trou"
    assert "A Montpellier, le" in pages[annexe[0] - 1]
    assert "A Montpellier, le" not in pages[annexe[0]]
    for index in annexe:
        assert one_line(pages[index]).startswith(ANNEXE_TITLE), f"en-tête absent de la page {index + 1}"
    if count == 300:
        assert len(annexe) > 5

    positions = []
    for number, uai in enumerate(uais, start=1):
        assert text.count(uai) == 1, uai
        row = re.search(rf"^{number} {uai} - [A-Z' -]+ / ECOLE PRIMAIRE PUBLIQUE / N° \d+$", text, re.M)
        assert row, f"ligne {number} ({uai}) absente ou mal formée"
        positions.append(row.start())
    assert positions == sorted(positions)


def test_long_names_are_printed_whole(db):
    """Long names of collectivité, representative and schools wrap but are printed whole; signatures stay together."""
    commune = CommuneFactory(code_insee="11330", nom="Saint-Laurent-de-la-Cabrerisse-et-Villerouge-Termenès")
    collectivite = CollectiviteFactory(
        nom="Syndicat intercommunal à vocation scolaire des communes de Saint-Laurent-de-la-Cabrerisse, "
        "Villerouge-Termenès, Albières, Montjoi et Vignevieille (regroupement pédagogique intercommunal)",
        commune=commune,
        representant_prenom="Marie-Christine-Bénédicte",
        representant_nom="de La Tour d'Auvergne-Lauraguais",
        representant_qualite="Présidente du syndicat intercommunal à vocation scolaire",
    )
    ecoles = [
        EcoleFactory(
            commune=commune,
            nom=f"ECOLE PRIMAIRE PUBLIQUE GROUPE SCOLAIRE INTERCOMMUNAL JULES FERRY ET LUCIE AUBRAC SITE {n}",
        )
        for n in range(12)
    ]
    convention = loaded(ConventionFactory(collectivite=collectivite, ecoles=ecoles))
    pages = pages_text(render(convention_document(convention))[2])
    text = one_line("\n".join(pages))
    assert f"LA COLLECTIVITE\u00a0: {collectivite.nom}" in text
    assert "Représentée par\u00a0: Madame Marie-Christine-Bénédicte DE LA TOUR D'AUVERGNE-LAURAGUAIS" in text
    for number, ecole in enumerate(sorted(ecoles, key=lambda e: e.uai), start=1):
        assert ecole.patronyme.startswith("GROUPE SCOLAIRE INTERCOMMUNAL")
        row = (
            f"{number} {ecole.uai} - SAINT-LAURENT-DE-LA-CABRERISSE-ET-VILLEROUGE-TERMENES / "
            f"ECOLE PRIMAIRE PUBLIQUE / {ecole.patronyme}"
        )
        assert row in text
    signature_page = next(page for page in pages if "A Montpellier, le" in page)
    assert "Madame Marie-Christine-Bénédicte" in signature_page
    assert "Sophie BEJEAN" in signature_page
