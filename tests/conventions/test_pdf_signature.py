"""The convention PDF is ready to sign: two empty signature fields, named after the parties, over the two blocks."""

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pypdf import PdfReader

from conventions.documents import CONVENTION_SIGNATURES, convention_document
from documents.pdf import render
from tests.factories import CollectiviteFactory, ConventionFactory

from .pdf_support import loaded, pages_text, seed_convention

MM = 72 / 25.4


def widgets(pdf: bytes) -> dict[str, tuple[int, list[float]]]:
    """Each signature widget: its page index and its rectangle (x0, y0, x1, y1) in points."""
    found = {}
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/FT") == "/Sig":
                found[str(annot["/T"])] = (index, [float(v) for v in annot["/Rect"]])
    return found


def test_two_empty_fields_named_after_the_parties(db):
    """pyHanko, as a signing application would, finds two signature fields, both still unsigned."""
    pdf = render(convention_document(seed_convention()))[2]
    fields = list(enumerate_sig_fields(PdfFileReader(io.BytesIO(pdf))))
    assert [(name, value) for name, value, _ref in fields] == [
        ("Signature collectivite", None),
        ("Signature academie", None),
    ]
    assert [field.name for field in CONVENTION_SIGNATURES] == ["Signature collectivite", "Signature academie"]


@pytest.mark.parametrize("count", [1, 15, 300])
def test_fields_sit_side_by_side_on_the_signature_page(db, count):
    """Both fields are on the page of the signature blocks, side by side at the same height, the collectivité's
    on the left under its representative, the académie's on the right, inside the page's margins."""
    convention = loaded(ConventionFactory(ecoles=count))
    pdf = render(convention_document(convention))[2]
    pages = pages_text(pdf)
    found = widgets(pdf)
    assert set(found) == {"Signature collectivite", "Signature academie"}
    (left_page, left), (right_page, right) = found["Signature collectivite"], found["Signature academie"]
    assert left_page == right_page
    signature_page = pages[left_page]
    assert "A Montpellier, le" in signature_page
    assert convention.representant_prenom in signature_page and "Sophie BEJEAN" in signature_page
    assert left[1] == pytest.approx(right[1]) and left[3] == pytest.approx(right[3])
    assert left[2] < right[0], "les deux champs se chevauchent"
    assert left[0] >= 19 * MM - 1 and right[2] <= (210 - 19) * MM + 1, "champ hors des marges"
    assert left[3] - left[1] == pytest.approx(30 * MM, abs=1)
    assert left[1] > 20 * MM, "champ dans le pied de page"


def test_long_signatory_blocks_stay_together(db):
    """Very long names push the blocks to the next page whole: never a block on one page and its field on another."""
    collectivite = CollectiviteFactory(
        nom="Syndicat intercommunal à vocation scolaire " + "et de regroupement pédagogique " * 4,
        representant_qualite="Présidente " + "du syndicat intercommunal " * 3,
    )
    convention = loaded(ConventionFactory(collectivite=collectivite, ecoles=3))
    pdf = render(convention_document(convention))[2]
    pages = pages_text(pdf)
    found = widgets(pdf)
    page = found["Signature collectivite"][0]
    assert found["Signature academie"][0] == page
    assert "A Montpellier, le" in pages[page] and "Sophie BEJEAN" in pages[page]
    assert "du syndicat intercommunal du syndicat" in pages[page].replace("\n", " ")
