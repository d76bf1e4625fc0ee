"""The glyphs the renderer remembers: a line written again is what WeasyPrint writes, its fonts the same; a plain call
keeps none."""

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from conventions.documents import convention_document
from documents import glyphes, pdf
from tests.conventions.pdf_support import drawing, pages_text, seed_convention

TEXTE = "dix-sept septembre 2021 à Montpellier"


def par_thread():
    return getattr(pdf._resources().font_config, glyphes.ATTRIBUT)


def lignes_du_thread() -> dict:
    return getattr(par_thread(), "lignes", {})


def test_the_lines_drawn_again_are_replayed_as_weasyprint_draws_them(db):
    """The second rendering of a convention writes its remembered lines; WeasyPrint alone writes the same pages with
    the same fonts."""
    convention = seed_convention()
    convention.code_verification = "K7QM4XPA9DZC"
    document = convention_document(convention)
    premier = pdf.render(document)[2]
    retenues = dict(lignes_du_thread())
    article = next(cle for cle in retenues if cle[0].startswith("La présente convention"))
    second = pdf.render(document)[2]
    # Replayed, not drawn and recorded again.
    assert lignes_du_thread()[article] is retenues[article]
    lignes = par_thread()
    try:
        delattr(pdf._resources().font_config, glyphes.ATTRIBUT)
        weasyprint_seul = pdf.render(document)[2]
    finally:
        setattr(pdf._resources().font_config, glyphes.ATTRIBUT, lignes)
    assert drawing(second) == drawing(weasyprint_seul) == drawing(premier)
    assert pages_text(second) == pages_text(weasyprint_seul)


def test_a_plain_weasyprint_call_remembers_nothing():
    """Only the renderer's FontConfiguration remembers glyphs: WeasyPrint called with its own is left as it was."""
    font_config = FontConfiguration()
    HTML(string=f"<p>{TEXTE}</p>").write_pdf(font_config=font_config)
    assert not hasattr(font_config, glyphes.ATTRIBUT)
