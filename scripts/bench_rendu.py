#!/usr/bin/env python
"""Benchmark of the convention renderer and of the work around it (issue 19), as ratios measured in one process.

On the first N draft conventions of `scripts/bench_pdf_data.py` (created when the database has none; every write of
the run is rolled back at its end: the same documents every time), measures the median processor time of:

  (a) WeasyPrint called plainly on the same HTML: `HTML(string=…).write_pdf(stylesheets=[print.css, convention.css])`;
  (b) the project's renderer, `documents.pdf.render`, on the same document (the final PDF, verification code);
  (c) the whole campaign item, as a worker runs it minus the broker: the task `envoyer_convention` (row claimed and
      locked, PDF rendered, frozen and stored, history, e-mail recorded and sent by the `filemail` backend).

and prints b's speed-up over a (a/b) and the campaign item against its PDF alone (c/b). (a) and (b) take turns on
each convention (order swapped every other one); the first convention only warms up the caches; after each, what
is left alive is frozen out of the garbage collector's reach, as a worker does after each task (documents/gel.py).

    export DATABASE_URL=postgres://ent:ent@127.0.0.1:5432/ent_pdf_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python scripts/bench_rendu.py [--conventions 20] [--profile rendu|campagne|plain]

`--profile` prints cProfile's top entries (cumulative and own time) of that measure over the same conventions.
"""

import argparse
import cProfile
import functools
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


@functools.cache
def dossier() -> Path:
    """Where the media and e-mails of a run go: a temporary folder made at the first need, not at the import of this
    module (bench_national.py imports it for `mesurer`)."""
    return Path(tempfile.mkdtemp(prefix="ent-bench-rendu-"))


def preparer_django() -> None:
    """Production settings (no query log); the e-mail task runs in-process and writes its messages to files."""
    os.environ.update(
        {
            "DEBUG": "False",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"),
            "ALLOWED_HOSTS": "localhost",
            "MEDIA_ROOT": str(dossier() / "media"),
            "EMAIL_URL": f"filemail:///{dossier() / 'mails'}",
            "CELERY_TASK_ALWAYS_EAGER": "True",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conventions", type=int, default=20, help="conventions mesurées (la 1re chauffe)")
    parser.add_argument("--annee", default="2030-2031")
    parser.add_argument("--profile", choices=["plain", "rendu", "campagne"], help="profil cProfile de cette mesure")
    return parser.parse_args()


def cpu(action) -> float:
    debut = time.process_time()
    action()
    return time.process_time() - debut


def plain(html: str) -> bytes:
    """What a plain WeasyPrint caller writes: the HTML and the stylesheets read for the document, default fonts."""
    from weasyprint import CSS, HTML

    from documents import pdf

    stylesheets = [CSS(filename=str(pdf.PDF_STATIC_DIR / name)) for name in (pdf.BASE_STYLESHEET, "convention.css")]
    return HTML(string=html, base_url=pdf.STATIC_DIR.as_uri() + "/").write_pdf(stylesheets=stylesheets)


def documents(conventions):
    """The final PDF the campaign renders for each convention (its verification code, no "PROJET")."""
    from conventions.documents import convention_document
    from documents import pdf
    from documents.verification import nouveau_code

    for convention in conventions:
        convention.code_verification = nouveau_code()
        document = convention_document(convention)
        yield convention, document, pdf._html(document)


def elements(annee, conventions) -> dict[int, int]:
    """An envoi batch over `conventions`, not queued: the benchmark runs each item's task itself."""
    from conventions.models import ElementTraitement, Traitement

    traitement = Traitement.objects.create(type=Traitement.Type.ENVOI, annee=annee, tache="")
    crees = ElementTraitement.objects.bulk_create(
        [ElementTraitement(traitement=traitement, convention_id=convention.pk) for convention in conventions]
    )
    return {element.convention_id: element.pk for element in crees}


def paire(document, html, rang: int) -> list[tuple[str, Callable]]:
    """(a) and (b) on one document, their order swapped every other document."""
    from documents import pdf

    mesures = [("plain", lambda: plain(html)), ("rendu", lambda: pdf.render(document))]
    return mesures[::-1] if rang % 2 else mesures


def mesurer(conventions, annee=None) -> dict[str, list[float]]:
    """The CPU seconds of (a), (b) and, given the school year of `conventions`, (c) on each convention after the
    first, which warms the caches up; what each leaves alive is frozen after it, as a worker does."""
    from conventions import tasks
    from documents.gel import Gel

    items = elements(annee, conventions) if annee is not None else {}
    temps = {"plain": [], "rendu": [], "campagne": []} if items else {"plain": [], "rendu": []}
    gel = Gel()
    for rang, (convention, document, html) in enumerate(documents(conventions)):
        mesures = paire(document, html, rang)
        if items:  # the item last: it sends the convention
            mesures.append(("campagne", lambda pk=items[convention.pk]: tasks.envoyer_convention.run(pk)))
        resultats = {nom: cpu(action) for nom, action in mesures}
        gel.apres_document()
        if rang == 0:
            continue
        for nom, duree in resultats.items():
            temps[nom].append(duree)
    gel.degeler()  # the caller may go on with other work
    return temps


def profiler(conventions, annee, mesure: str) -> None:
    from conventions import tasks
    from documents import pdf
    from documents.gel import Gel

    items = elements(annee, conventions)
    actions = []
    for convention, document, html in documents(conventions):
        actions.append(
            {
                "plain": lambda html=html: plain(html),
                "rendu": lambda document=document: pdf.render(document),
                "campagne": lambda pk=items[convention.pk]: tasks.envoyer_convention.run(pk),
            }[mesure]
        )
    # Measured as `mesurer` measures: what each action leaves alive frozen after it, outside the profile.
    gel = Gel()
    actions[0]()
    gel.apres_document()
    profil = cProfile.Profile()
    for action in actions[1:]:
        profil.enable()
        action()
        profil.disable()
        gel.apres_document()
    gel.degeler()
    for tri in ("cumulative", "tottime"):
        print(f"\n--- {mesure}, trié par {tri} ---")
        pstats.Stats(profil).sort_stats(tri).print_stats(35)


def main():
    args = parse_args()
    preparer_django()
    from django.db import transaction

    from collectivites.models import Collectivite
    from conventions.documents import conventions_for_documents
    from conventions.models import AnneeScolaire, Convention
    from conventions.texte import figer_pour_envoi
    from scripts import bench_pdf_data

    (dossier() / "mails").mkdir()
    if not AnneeScolaire.objects.filter(libelle=args.annee).exists():
        bench_pdf_data.create(args.annee, 300, 20, random.Random(2021))
    # Everything the campaign items write (their batch, the frozen text, the sent conventions, the e-mails) is rolled
    # back at the end: the next run measures the same drafts, and bench_pdf_data can still replace the year.
    with transaction.atomic():
        # bench_pdf_data's collectivités have no address: the campaign's e-mail needs one.
        Collectivite.objects.filter(departement=bench_pdf_data.DEPARTEMENT).update(email="mairie@example.fr")
        annee = AnneeScolaire.objects.get(libelle=args.annee)
        # The campaign's text is frozen by its first sending; the items measured come after it.
        figer_pour_envoi(annee)
        queryset = Convention.objects.filter(annee=annee, etat=Convention.Etat.BROUILLON).order_by("reference")
        conventions = list(conventions_for_documents(queryset[: args.conventions]))
        if args.profile:
            profiler(conventions, annee, args.profile)
        else:
            temps = mesurer(conventions, annee)
        transaction.set_rollback(True)
    if args.profile:
        return
    medianes = {nom: statistics.median(valeurs) for nom, valeurs in temps.items()}
    print(
        f"{len(temps['rendu'])} conventions mesurées (temps CPU médian par convention), "
        f"charge de la machine {os.getloadavg()[0]:.1f}"
    )
    print(f"  (a) WeasyPrint seul, HTML(string=…).write_pdf() : {medianes['plain'] * 1000:.0f} ms")
    print(f"  (b) moteur de rendu du projet, documents.pdf.render : {medianes['rendu'] * 1000:.0f} ms")
    print(f"  (c) élément de campagne (envoyer_convention + e-mail) : {medianes['campagne'] * 1000:.0f} ms")
    print(f"Rendu du projet plus rapide que WeasyPrint seul (a/b) : {medianes['plain'] / medianes['rendu']:.2f}×")
    print(f"Élément de campagne rapporté à son seul PDF (c/b) : {medianes['campagne'] / medianes['rendu']:.2f}×")


if __name__ == "__main__":
    main()
