"""The fonts' subsets made while the renderer writes: the same embedded fonts as WeasyPrint's own."""

from weasyprint import HTML

from documents import pdf, sous_ensembles
from tests.conventions.pdf_support import drawing, pages_text

HTML_TEXTE = (
    "<p>Convention de partenariat <strong>ENT-école</strong> entre l'académie et la collectivité, "
    "<em>année scolaire 2021-2022</em> : 1234567890 àéèêëîïôöûüç ÀÉÈ « » € œ.</p>"
)


def test_the_subsets_are_those_weasyprint_makes():
    """The same document written by WeasyPrint alone and while the renderer writes: same pages, same fonts."""
    pdf.render(pdf.PdfDocument("pdf/champ_texte.html", {"texte": "x", "w": 50, "h": 20}, "x.pdf", "x", "", ""))
    document = HTML(string=HTML_TEXTE).render(stylesheets=[pdf._resources().stylesheet(pdf.BASE_STYLESHEET)])
    weasyprint_seul = document.write_pdf()
    with sous_ensembles.ecriture():
        renderer = document.write_pdf()
    assert drawing(renderer) == drawing(weasyprint_seul)
    assert "ENT-école" in pages_text(renderer)[0]
