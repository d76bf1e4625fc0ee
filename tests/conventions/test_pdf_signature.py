"""The convention PDF is ready to sign: two empty signature fields, named after the parties, over the two blocks."""

import io
import re
import subprocess

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pypdf import PdfReader

from conventions.documents import CONVENTION_SIGNATURES, DATE_SIGNATURE, convention_document
from documents.pdf import render
from tests.factories import CollectiviteFactory, CommuneFactory, ConventionFactory

from .pdf_support import loaded, pages_text, printed_text, seed_convention

MM = 72 / 25.4


def widgets(pdf: bytes, kind: str = "/Sig") -> dict[str, tuple[int, list[float]]]:
    """Each form field widget of a kind (/Sig, /Tx): its page index and its rectangle (x0, y0, x1, y1) in points."""
    found = {}
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/FT") == kind:
                found[str(annot["/T"])] = (index, [float(v) for v in annot["/Rect"]])
    return found


def grouping_of(count: int):
    """A communauté signing one convention for its `count` member communes, named as long as real ones are."""
    collectivite = CollectiviteFactory(groupement=True)
    for n in range(count):
        CommuneFactory(code_insee=f"11{n:03d}", nom=f"Saint-Martin-de-Villereglan-{n}", groupement=collectivite)
    return loaded(ConventionFactory(collectivite=collectivite, commune=None, ecoles=count))


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


def test_the_date_line_is_a_field_left_to_fill(db):
    """The frozen copy reads « A Montpellier, le » then a line; over the line, an empty read-only text field that the
    rectorat fills with the date when it records the signature (tests/trust: the countersigned copy)."""
    pdf = render(convention_document(loaded(ConventionFactory(ecoles=2))))[2]
    (page, rect) = widgets(pdf, "/Tx")[DATE_SIGNATURE.name]
    assert page == widgets(pdf)["Signature academie"][0]
    field = next(
        a.get_object() for a in PdfReader(io.BytesIO(pdf)).pages[page]["/Annots"] if a.get_object()["/FT"] == "/Tx"
    )
    assert field["/T"] == DATE_SIGNATURE.name and "/V" not in field and field["/Ff"] & 1, "champ vide, lecture seule"
    assert 50 * MM < rect[2] - rect[0] < 60 * MM
    line = next(line for line in printed_text(pdf)[page].splitlines() if "A Montpellier, le" in line)
    assert line.strip() == "A Montpellier, le"


@pytest.mark.parametrize("communes", [1, 68, 150])
def test_the_signature_page_keeps_the_end_of_the_text(db, communes):
    """However long the list of communes among the parties, the last paragraph of Article 8, the date line and both
    signature blocks with their fields stay on one page; and no hyphenated word is cut at its hyphen."""
    pdf = render(convention_document(grouping_of(communes)))[2]
    pages = pages_text(pdf)
    found = widgets(pdf)
    page = found["Signature collectivite"][0]
    assert found["Signature academie"][0] == page == widgets(pdf, "/Tx")[DATE_SIGNATURE.name][0]
    text = pages[page]
    for expected in (
        "Une conciliation entre les parties",
        "ne pourront faire l'objet de remboursement.",
        "A Montpellier, le",
        "Monsieur",
        "Sophie BEJEAN",
    ):
        assert expected in text, f"« {expected} » n'est pas sur la page des signatures ({communes} communes)"
    assert "ARTICLE 8" in pages[page - 1] + text
    cut = [line for page_text in pages for line in page_text.splitlines() if re.search(r"\w-$", line)]
    assert not cut, f"mots coupés à leur trait d'union : {cut}"


def test_signature_boxes_are_drawn_whole(db, tmp_path):
    """Each empty signature box is white with its four borders, as printed at 144 dpi (two pixels a point)."""
    pdf = render(convention_document(loaded(ConventionFactory(ecoles=1))))[2]
    page, rect = widgets(pdf)["Signature academie"]
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "144", "-gray", "-png", "-f", str(page + 1), "-l", str(page + 1), "c.pdf", "p"],
        cwd=tmp_path,
        check=True,
    )
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    height = image.height
    x0, y0, x1, y1 = (round(v * 2) for v in rect)
    top, bottom = height - y1, height - y0

    def dark(points) -> float:
        return sum(image.getpixel(p) < 200 for p in points) / len(points)

    def border(points_at) -> float:
        return max(dark(points_at(offset)) for offset in (-2, -1, 0, 1, 2))

    assert border(lambda d: [(x0 + d, y) for y in range(top + 5, bottom - 5)]) > 0.9, "bord gauche"
    assert border(lambda d: [(x1 - 1 + d, y) for y in range(top + 5, bottom - 5)]) > 0.9, "bord droit"
    assert border(lambda d: [(x, top + d) for x in range(x0 + 5, x1 - 5)]) > 0.9, "bord haut"
    assert border(lambda d: [(x, bottom - 1 + d) for x in range(x0 + 5, x1 - 5)]) > 0.9, "bord bas"
    inside = [(x, y) for x in range(x0 + 6, x1 - 6, 3) for y in range(top + 6, bottom - 6, 3)]
    assert all(image.getpixel(p) > 245 for p in inside), "le cadre doit être blanc"
