"""Tagged PDFs (PDF/A-3a): a screen reader finds the structure of conventions and titres, in reading order."""

import io

import pikepdf
import pytest

from conventions.services import envoyer_pour_signature
from facturation.services import emettre_titre
from tests.factories import ConventionFactory
from tests.facturation.factories import convention_du_seed

from .pdf_support import frozen_bytes


def structure(pdf: bytes) -> tuple[list[tuple[int, str, str]], tuple[bool, str]]:
    """The structure tree, depth first (the reading order): (depth, tag, alternative text) for each element; and
    whether the file says it is tagged, and its language."""
    elements = []

    def walk(node, depth):
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                elements.append((depth, str(kid.S)[1:], str(kid.get("/Alt", ""))))
                walk(kid, depth + 1)

    with pikepdf.open(io.BytesIO(pdf)) as document:
        walk(document.Root.StructTreeRoot, 0)
        return elements, (bool(document.Root.MarkInfo.Marked), str(document.Root.Lang))


def tags(elements) -> list[str]:
    return [tag for _depth, tag, _alt in elements]


@pytest.fixture
def convention_envoyee(db):
    return envoyer_pour_signature(ConventionFactory(ecoles=3))


def test_the_convention_is_tagged_in_reading_order(convention_envoyee):
    """Marked, in French, its title first, its headings in the order of the text (the parties, the preamble, the
    eight articles, Annexe 1 last), the Annexe's table with its header cell. The footer (reference, page number, QR
    code and verification code) repeats on every page: page furniture, left out of the structure as PDF/UA wants."""
    elements, marked = structure(frozen_bytes(convention_envoyee))
    assert marked == (True, "fr")
    assert tags(elements)[:2] == ["Document", "H1"]
    headings = [tag for tag in tags(elements) if tag in ("H1", "H2", "H3")]
    assert headings.count("H1") == 1 and headings.count("H2") == 12 and headings.count("H3") == 7
    assert tags(elements).index("Table") > max(i for i, tag in enumerate(tags(elements)) if tag == "P" and i < 200)
    assert "TH" in tags(elements) and tags(elements).count("TD") >= 6
    assert all(alt for _depth, tag, alt in elements if tag == "Figure"), "image sans texte de remplacement"


def test_the_titre_is_tagged_with_its_tables_headers(db):
    """The titre: its title, its headings, the liquidation table with its column headers, the payment table."""
    titre = emettre_titre(convention_du_seed())
    with titre.pdf.open("rb") as stored:
        elements, marked = structure(stored.read())
    assert marked == (True, "fr")
    assert tags(elements).count("H1") == 1 and tags(elements).count("H2") >= 3
    assert tags(elements).count("Table") >= 3 and tags(elements).count("TH") >= 4
    assert all(alt for _depth, tag, alt in elements if tag == "Figure"), "image sans texte de remplacement"
