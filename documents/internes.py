"""The WeasyPrint release whose internals the renderer's caches reach into: documents/lignes.py, glyphes.py,
marges.py and sous_ensembles.py. With another release each of them stays off, so the pages are the same but rendered
~1.5× slower, until the four are read again against it (tests/conventions/test_pdf_references.py compares the pages
to reference images and words; the check documents.W002 says so at start-up)."""

import weasyprint

VERSION_VERIFIEE = "70.0"


def verifiee() -> bool:
    return weasyprint.__version__ == VERSION_VERIFIEE
