"""The fonts' subsets made without asking cffi to parse a C type for each document.

WeasyPrint subsets each embedded font with HarfBuzz (`Font._harfbuzz_subset`), handing it the glyphs kept as
`ffi.new(f"hb_codepoint_t[{n}]", glyphs)`: a C type whose text changes with the number of glyphs, which cffi parses
with pycparser each time it meets a new one (~3 ms each, two per font, three fonts per convention: most of the
subsetting's time, ~5 % of a convention's rendering while the counts are new). The same array is made here as
`ffi.new("hb_codepoint_t[]", glyphs)`, whose type is parsed once: the same values, the same length, handed to the same
HarfBuzz calls; the subset is the same.

Only while the renderer writes a document (documents/pdf.py, `ecriture`); a plain WeasyPrint call is left as it
was. Written against WeasyPrint 70.0: for another version it stays off until this is read again
(tests/documents/test_sous_ensembles.py compares the embedded subsets to WeasyPrint's own).
"""

import threading
from contextlib import contextmanager

from weasyprint.pdf import fonts

from .internes import verifiee

TABLEAU = "hb_codepoint_t["
_actif = threading.local()


class _Ffi:
    """WeasyPrint's ffi as pdf/fonts.py sees it: `new` of an array of glyphs makes it with the open type."""

    def __init__(self, ffi):
        self._ffi = ffi

    def __getattr__(self, name):
        return getattr(self._ffi, name)

    def new(self, cdecl, *init):
        if init and cdecl.startswith(TABLEAU) and getattr(_actif, "oui", False):
            return self._ffi.new(TABLEAU + "]", *init)
        return self._ffi.new(cdecl, *init)


@contextmanager
def ecriture():
    """While the renderer writes its document, on this thread."""
    precedent = getattr(_actif, "oui", False)
    _actif.oui = True
    try:
        yield
    finally:
        _actif.oui = precedent


def installer() -> None:
    if verifiee() and not isinstance(fonts.ffi, _Ffi):
        fonts.ffi = _Ffi(fonts.ffi)
