"""The line breaks the renderer remembers: kept for its own FontConfiguration, per thread; a plain call keeps none."""

import threading

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from documents import lignes, pdf
from tests.conventions.pdf_support import pages_text


def champ(texte: str) -> pdf.PdfDocument:
    return pdf.PdfDocument(
        template_name="pdf/champ_texte.html",
        context={"texte": texte, "w": 200, "h": 20},
        filename="champ.pdf",
        title=texte,
        subject="",
        author="",
    )


def lignes_du_thread() -> dict:
    return getattr(getattr(pdf._resources().font_config, lignes.ATTRIBUT), "lignes", {})


def test_a_line_laid_out_again_is_taken_from_the_cache_and_prints_the_same():
    """The second rendering of the same text finds its line remembered and prints the same page."""
    premier = pdf.render(champ("treize septembre 2021"))[2]
    connues = {cle for cle in lignes_du_thread() if cle[0] == "treize septembre 2021"}
    assert connues
    second = pdf.render(champ("treize septembre 2021"))[2]
    assert {cle for cle in lignes_du_thread() if cle[0] == "treize septembre 2021"} == connues
    assert pages_text(second) == pages_text(premier) == ["treize septembre 2021"]


def test_each_thread_keeps_its_own_lines():
    """A Layout is set up again when drawn: two threads never share one."""
    pdf.render(champ("quatorze septembre 2021"))
    autres = {}

    def rendre():
        pdf.render(champ("quinze septembre 2021"))
        autres.update(lignes_du_thread())

    thread = threading.Thread(target=rendre)
    thread.start()
    thread.join()
    assert any(cle[0] == "quinze septembre 2021" for cle in autres)
    assert not any(cle[0] == "quinze septembre 2021" for cle in lignes_du_thread())


def test_a_plain_weasyprint_call_remembers_nothing():
    """Only the renderer's FontConfiguration remembers lines: WeasyPrint called with its own is left as it was."""
    font_config = FontConfiguration()
    HTML(string="<p>seize septembre 2021</p>").write_pdf(font_config=font_config)
    assert not hasattr(font_config, lignes.ATTRIBUT)
