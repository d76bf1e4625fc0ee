"""The footer laid out once per document: every page draws what WeasyPrint draws, each with its own page number."""

from conventions.documents import convention_document
from documents import marges, pdf
from tests.conventions.pdf_support import PAGE_FOOTER_RE, drawing, pages_text, seed_convention


def test_the_footer_of_each_page_is_what_weasyprint_lays_out(db):
    """A convention of several pages: the same pages with the margin boxes laid out once or on every page."""
    convention = seed_convention()
    convention.reference = "ENT-11-2021-2022-0001-11260"
    convention.code_verification = "K7QM4XPA9DZC"
    document = convention_document(convention)
    font_config = pdf._resources().font_config
    une_fois = pdf.render(document)[2]
    try:
        delattr(font_config, marges.ATTRIBUT)
        chaque_page = pdf.render(document)[2]
    finally:
        setattr(font_config, marges.ATTRIBUT, True)
    assert drawing(une_fois) == drawing(chaque_page)
    textes = pages_text(une_fois)
    assert len(textes) > 2
    assert [PAGE_FOOTER_RE.search(texte).groups() for texte in textes] == [
        (str(numero), str(len(textes))) for numero in range(1, len(textes) + 1)
    ]
    assert all("K7QM-4XPA-9DZC" in texte and "ENT-11-2021-2022-0001-11260" in texte for texte in textes)


def test_a_plain_weasyprint_call_lays_out_every_footer():
    """Only the renderer's FontConfiguration is marked: WeasyPrint called with its own is left as it was."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    HTML(string="<p>dix-huit septembre 2021</p>").write_pdf(font_config=font_config)
    assert not hasattr(font_config, marges.ATTRIBUT)
