"""The convention PDF says, word for word, what the 2021-2022 convention says, with only the agreed differences.

The golden text is derived from the seed file itself (../shared/seed/, copied in tests/conventions/data/):
markdown marks are removed, then exactly these substitutions are applied, each found exactly once:
- the commune is the official MOUTHOUMET (INSEE 11260), not the seed's typo MOUTHOMET. Names in capitals lose
  their accents, as the seed writes "L'ACADEMIE", "LA COLLECTIVITE" and "Sophie BEJEAN" (formats.majuscules);
- the signatory's title is the one stored for the year (the seed writes it twice, two slightly different ways);
- Article 7 agrees in number and computes its amounts ("1 école est inscrite ... 50 € TTC (1 école x 50 € TTC)");
- Annexe 1 lists the registered schools, one numbered row each, without the seed's empty rows "2 0 ... 15 0".
The PDF adds, on every page, a footer (the reference and "Page X / Y"), removed before comparing. Words are
compared whatever the line breaks and the kind of space between them; the non-breaking spaces are checked apart.
"""

import datetime
import re
from decimal import Decimal

import pytest

from collectivites.models import Collectivite
from conventions.documents import convention_document
from documents.pdf import render
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, CommuneFactory, ConventionFactory

from .pdf_support import SEED, SHARED_SEED, loaded, one_line, pages_text, seed_convention, words

SEED_TITRE = (
    "Rectrice de la région académique Occitanie, Recteur de l'académie de Montpellier, Chancelière des universités."
)
SEED_ARTICLE_7 = (
    "1 école(s) est/sont inscrite(s) à l'ENT-école pour un montant correspondant à 50 €TTC (1 écoles x 50€ TTC)."
)


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"« {old} » devrait figurer une fois dans la convention de référence"
    return text.replace(old, new)


def seed_without_markdown(raw: str) -> str:
    lines = []
    for line in raw.replace("<sup>", "").replace("</sup>", "").replace("**", "").splitlines():
        line = re.sub(r"^#+\s*", "", line.strip())
        if line == "---":
            continue
        if line.startswith("*") and line.endswith("*"):
            line = line[1:-1]
        lines.append(line)
    return "\n".join(lines)


def golden_text(titre_signataire: str, lignes_annexe: list[str]) -> str:
    text = seed_without_markdown(SEED.read_text(encoding="utf-8"))
    text = replace_once(text, "Commune : MOUTHOMET", "Commune : MOUTHOUMET")
    text = replace_once(text, SEED_TITRE, titre_signataire + ".")
    text = replace_once(
        text,
        SEED_ARTICLE_7,
        "1 école est inscrite à l'ENT-école pour un montant correspondant à 50 € TTC (1 école x 50 € TTC).",
    )
    annexe = re.search(r"^1\t0110422Z - MOUTHOMET / ECOLE ELEMENTAIRE PUBLIQUE /\n(\d+\t0\n?)+\Z", text, re.M)
    assert annexe, "l'annexe 1 de la convention de référence a changé de forme"
    rows = "\n".join(f"{number} {ligne}" for number, ligne in enumerate(lignes_annexe, start=1))
    return text[: annexe.start()] + rows


def without_footers(pages: list[str], reference: str) -> str:
    """The text of the pages without their footer, after checking that each page has its own."""
    cleaned = []
    for number, page in enumerate(pages, start=1):
        footer = f"Convention {reference} Page {number} / {len(pages)}"
        assert footer in page, f"pied de page absent de la page {number}"
        cleaned.append(page.replace(footer, ""))
    return "\n".join(cleaned)


@pytest.fixture
def seed(db):
    return seed_convention()


def test_seed_copy_is_the_reference():
    """The copy of the seed kept with the tests is the project's reference file, byte for byte (when present)."""
    if not SHARED_SEED.exists():
        pytest.skip(f"{SHARED_SEED} absent de cette machine")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_text_word_for_word(seed):
    """The seed's data gives the seed's text, word for word, with only the agreed differences."""
    _, content_type, pdf = render(convention_document(seed))
    assert content_type == "application/pdf"
    text = without_footers(pages_text(pdf), seed.reference)
    expected = golden_text(seed.annee.signataire_titre, ["0110422Z - MOUTHOUMET / ECOLE PRIMAIRE PUBLIQUE /"])
    assert words(text) == words(expected)


def test_accents_euro_and_non_breaking_spaces_survive_extraction(seed):
    """The text read back keeps French accents, ligatures, the euro sign and the non-breaking spaces."""
    text = one_line("\n".join(pages_text(render(convention_document(seed))[2])))
    for fragment in [
        "Lézignan-Corbières",
        "chancelière des universités",
        "mise en œuvre",
        "Article 2.1 Équipement",
        "1er degré",
        "ARTICLE 8 – Litiges – Conciliation",
        "50\u00a0€ TTC (1 école x 50\u00a0€ TTC)",
        "Ci-après dénommée «\u00a0académie\u00a0»",
        "Commune\u00a0: MOUTHOUMET",
        "se termine au 01 septembre 2022.",
        "A Montpellier, le treize septembre 2021",
    ]:
        assert fragment in text, fragment


def test_footer_on_every_page(seed):
    """Every page carries the convention's reference and "Page X / Y"."""
    pages = pages_text(render(convention_document(seed))[2])
    assert len(pages) == 4
    without_footers(pages, seed.reference)


def test_unsigned_convention_leaves_the_date_to_fill_in(db):
    """Before signature the place is printed and the date is left blank, ready to be filled in."""
    convention = seed_convention(signee=False, date_signature=None, lieu_signature="")
    text = "\n".join(pages_text(render(convention_document(convention))[2]))
    assert re.search(r"A Montpellier, le\s*\n", text)
    assert "treize" not in text


def test_commune_signs_for_itself(db):
    """A commune's convention names the commune, in capitals without accents."""
    commune = CommuneFactory(code_insee="11330", nom="Saint-Laurent-de-la-Cabrerisse")
    collectivite = CollectiviteFactory(nom="Commune de Saint-Laurent-de-la-Cabrerisse", commune=commune)
    convention = loaded(ConventionFactory(collectivite=collectivite, ecoles=1))
    text = " ".join(words("\n".join(pages_text(render(convention_document(convention))[2]))))
    assert "Commune : SAINT-LAURENT-DE-LA-CABRERISSE Représentée par" in text


def test_grouping_signing_for_all_its_communes_says_so(db):
    """A grouping's single convention names all its member communes instead of one commune."""
    collectivite = CollectiviteFactory(groupement=True, nom="Communauté de communes du Limouxin")
    for code, nom in [("11206", "Limoux"), ("11010", "Alet-les-Bains"), ("11260", "Mouthoumet")]:
        CommuneFactory(code_insee=code, nom=nom, groupement=collectivite)
    convention = loaded(ConventionFactory(collectivite=collectivite, ecoles=2))
    text = " ".join(words("\n".join(pages_text(render(convention_document(convention))[2]))))
    assert (
        "Communes : l'ensemble des communes membres du regroupement (ALET-LES-BAINS, LIMOUX et MOUTHOUMET) "
        "Représentée par" in text
    )


def test_grouping_of_one_commune(db):
    """A grouping with a single member commune names it, and says it is the only one."""
    collectivite = CollectiviteFactory(groupement=True)
    CommuneFactory(code_insee="11206", nom="Limoux", groupement=collectivite)
    convention = loaded(ConventionFactory(collectivite=collectivite, ecoles=1))
    text = " ".join(words("\n".join(pages_text(render(convention_document(convention))[2]))))
    assert "Commune : LIMOUX, seule commune membre du regroupement" in text


def test_year_data_flow_into_the_text(db):
    """Another year's rate, signatory, title and end date are taken from that year, never typed in the template."""
    annee = AnneeScolaireFactory(
        libelle="2024-2025",
        tarif_par_ecole=Decimal("62.50"),
        signataire_prenom="Jean",
        signataire_nom="Hétet",
        signataire_titre="Recteur de la région académique Occitanie, recteur de l'académie de Montpellier",
    )
    convention = loaded(
        ConventionFactory(
            annee=annee,
            collectivite=CollectiviteFactory(type=Collectivite.Type.COMMUNE),
            ecoles=2,
            signee=True,
            date_signature=datetime.date(2024, 10, 1),
        )
    )
    text = " ".join(words("\n".join(pages_text(render(convention_document(convention))[2]))))
    for fragment in [
        "Année scolaire 2024-2025",
        "Représentée par Jean Hétet, en sa qualité de Recteur de la région académique Occitanie, recteur de "
        "l'académie de Montpellier.",
        "se termine au 01 septembre 2025.",
        "fixé à 62,50 euros TTC par école et par an.",
        "Au titre de l'année scolaire 2024-2025, 2 écoles sont inscrites à l'ENT-école pour un montant "
        "correspondant à 125 € TTC (2 écoles x 62,50 € TTC).",
        "A Montpellier, le premier octobre 2024",
        "Jean HETET",
        "ANNEXE 1 - Liste des écoles inscrites à l'ENT-école pour l'année scolaire 2024-2025",
    ]:
        assert fragment in text, fragment
