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


PAINTING = {"Tj", "TJ", "'", '"', "Do", "f", "f*", "F", "S", "s", "B", "B*", "b", "b*", "sh"}


def untagged_content(pdf: bytes) -> list[str]:
    """What a screen reader would meet outside the tree, as PDF/UA's checkers report it: text or drawing neither in
    an artifact nor in a marked sequence whose identifier (MCID) an element of the structure tree reaches, and the
    form fields without their /Form element (reached from the tree and back through /StructParent)."""
    problems = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        reached, objects = set(), set()

        def walk(node, page):
            page = node.get("/Pg", page)
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, int):
                    reached.add((page.objgen, kid))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    reached.add((kid.get("/Pg", page).objgen, int(kid.MCID)))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                    objects.add((kid.Obj.objgen, str(node.S)))
                elif isinstance(kid, pikepdf.Dictionary):
                    walk(kid, page)

        walk(document.Root.StructTreeRoot, None)
        for number, page in enumerate(document.pages, start=1):
            stack = []
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name in ("BDC", "BMC"):
                    properties = operands[1] if len(operands) > 1 else None
                    mcid = (
                        int(properties.MCID)
                        if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties
                        else None
                    )
                    if mcid is not None and (page.objgen, mcid) not in reached:
                        problems.append(f"page {number} : MCID {mcid} hors de l'arbre")
                    stack.append(str(operands[0]) == "/Artifact" or mcid is not None)
                elif name == "EMC":
                    stack.pop()
                elif name in PAINTING and not any(stack):
                    problems.append(f"page {number} : « {name} » ni balisé ni artefact")
            for annotation in page.get("/Annots", []):
                if (annotation.objgen, "/Form") not in objects or "/StructParent" not in annotation:
                    problems.append(f"page {number} : champ {annotation.get('/T')} hors de l'arbre")
    return problems


@pytest.fixture
def convention_envoyee(db):
    return envoyer_pour_signature(ConventionFactory(ecoles=3))


def test_the_convention_is_tagged_in_reading_order(convention_envoyee):
    """Marked, in French, its title first, its headings in the order of the text (the parties, the preamble, the
    eight articles, Annexe 1 last), the Annexe's table with its header cell. The footer (reference, page number, QR
    code and verification code) repeats on every page: page furniture (artifacts), but the verification block is
    read once, at the end, the QR code with its alternative text."""
    elements, marked = structure(frozen_bytes(convention_envoyee))
    assert marked == (True, "fr")
    assert tags(elements)[:2] == ["Document", "H1"]
    headings = [tag for tag in tags(elements) if tag in ("H1", "H2", "H3")]
    assert headings.count("H1") == 1 and headings.count("H2") == 12 and headings.count("H3") == 7
    assert tags(elements).index("Table") > max(i for i, tag in enumerate(tags(elements)) if tag == "P" and i < 200)
    assert "TH" in tags(elements) and tags(elements).count("TD") >= 6
    assert all(alt for _depth, tag, alt in elements if tag == "Figure"), "image sans texte de remplacement"
    # The QR code, once for the four pages: the last element of the document.
    figures = [(index, alt) for index, (_depth, tag, alt) in enumerate(elements) if tag == "Figure"]
    assert len(figures) == 1 and figures[0][1].startswith("QR code de vérification"), figures
    assert all(depth > 1 for depth, _tag, _alt in elements[figures[0][0] :]), (
        "le bloc de vérification n'est pas le dernier"
    )


def test_every_content_and_field_of_the_convention_is_in_the_tree_or_an_artifact(convention_envoyee):
    """Nothing between the two, as PDF/UA checkers want: the footer of every page an artifact, the signature fields
    and the date of signature in /Form elements where their boxes stand (the signatories' cells, the date line)."""
    pdf = frozen_bytes(convention_envoyee)
    assert untagged_content(pdf) == []
    elements, _marked = structure(pdf)
    assert tags(elements).count("Form") == 3


def test_the_titre_is_tagged_with_its_tables_headers(db):
    """The titre: its title, its headings, the liquidation table with its column headers, the payment table."""
    titre = emettre_titre(convention_du_seed())
    with titre.pdf.open("rb") as stored:
        elements, marked = structure(stored.read())
    assert marked == (True, "fr")
    assert tags(elements).count("H1") == 1 and tags(elements).count("H2") >= 3
    assert tags(elements).count("Table") >= 3 and tags(elements).count("TH") >= 4
    assert all(alt for _depth, tag, alt in elements if tag == "Figure"), "image sans texte de remplacement"
    with titre.pdf.open("rb") as stored:
        assert untagged_content(stored.read()) == []
    assert tags(elements).count("Form") == 1
