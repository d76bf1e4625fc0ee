"""Python's cyclic garbage collector kept off what a process that renders document after document keeps alive.

Django, WeasyPrint and the fonts (~200,000 objects after the first document), then the renderer's caches, which grow
with every document (lignes.py, glyphes.py): each collection of the oldest generation scanned all of them again,
several times per document. Frozen once after the first document, that cost came back as the caches filled: ~60 ms
of a worker's 220 ms per convention on the national benchmark's drafts (158 ms when frozen after each one). So after
each document what is left alive is frozen too. A frozen object is still freed when its last reference goes; only a
reference cycle that dies frozen waits for the full collection that thaws everything every DEGEL_TOUTES_LES
documents, so that memory stays flat.
"""

import gc

DEGEL_TOUTES_LES = 200


class Gel:
    """One per process; `apres_document()` after each document (or task) it renders."""

    def __init__(self):
        self.documents = 0

    def apres_document(self) -> None:
        self.documents += 1
        if self.documents % DEGEL_TOUTES_LES == 0:
            gc.unfreeze()
        gc.collect()
        gc.freeze()

    @staticmethod
    def degeler() -> None:
        """Back to a plain collector, for a process that goes on with other work."""
        gc.unfreeze()
