"""The Celery application of the benchmarks' workers: `config`'s, whose pool processes also note the CPU seconds of
each PDF they render (`documents.pdf.render`), one line per PDF in BENCH_RENDUS_DIR/<pid>.

    celery -A scripts.bench_worker worker …       (bench_campaign.start_worker(…, app="scripts.bench_worker"))

The benchmark then sets the worker's CPU per convention against the rendering of the same PDFs in the same tasks:
both are read over the same seconds, on the same machine, so that a machine whose speed drifts by 10 or 20 % from one
minute to the next (as the shared ones here do) moves both alike.
"""

import os
import time
from pathlib import Path

from celery.signals import worker_process_init

from config.celery import app

__all__ = ["app"]

# A worker of its own queue (BENCH_FILE, consumed with -Q) queues there what its tasks queue: the e-mails of the
# conventions it sends are sent by itself, not by another benchmark worker.
if os.environ.get("BENCH_FILE"):
    app.conf.task_default_queue = os.environ["BENCH_FILE"]


@worker_process_init.connect
def _noter_les_rendus(**kwargs):
    """In each pool process, once Django is set up: `render` wrapped where the campaign calls it from, by the name
    it imported."""
    import conventions.documents
    import documents.pdf

    rendre = documents.pdf.render

    def render(document):
        debut = time.process_time()
        try:
            return rendre(document)
        finally:
            with (Path(os.environ["BENCH_RENDUS_DIR"]) / str(os.getpid())).open("a") as notes:
                notes.write(f"{time.process_time() - debut}\n")

    documents.pdf.render = conventions.documents.render = render


def cpu_des_rendus(dossier: Path) -> tuple[int, float]:
    """The PDFs rendered so far by the workers writing to `dossier`, and their CPU seconds."""
    valeurs = [float(ligne) for fichier in dossier.glob("*") for ligne in fichier.read_text().split()]
    return len(valeurs), sum(valeurs)
