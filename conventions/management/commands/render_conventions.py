"""Writes the PDF of every convention of a school year, one file per convention named after its reference.

    python manage.py render_conventions --annee 2021-2022 --output-dir DIR [--jobs N]

A sent convention gives its frozen bytes, a draft a fresh "PROJET" preview (as conventions.documents.convention_pdf).
With --jobs N, N forked processes each render their share and write their own files, so that nothing but a few
numbers per document travels back; each fetches its conventions in batches, so memory does not grow with their
number. The summary gives documents, total seconds, documents per second, the median and 95th percentile seconds
per document, and the peak memory of each rendering process (after 30 documents and at the end: it must stay flat).
"""

import multiprocessing
import os
import resource
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from conventions.documents import convention_pdf, conventions_for_documents
from conventions.management.options import ajouter_option_annee, annee_des_options
from conventions.models import Convention
from documents.formats import pluriel
from documents.gel import Gel

BATCH_SIZE = 50
# The memory of a process is noted after this many documents, to compare with the end (it must not grow).
MEMORY_CHECKPOINT = 30


@dataclass
class WorkerReport:
    seconds: list[float] = field(default_factory=list)
    # Processor time of each document: what the machine's load (other processes, a shared host) does not inflate.
    cpu_seconds: list[float] = field(default_factory=list)
    rendered: int = 0
    frozen: int = 0
    rss_checkpoint_mb: float | None = None
    rss_end_mb: float = 0.0
    peak_mb: float = 0.0


def _rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), in MB; the peak when /proc is absent."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return _peak_mb()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # kibibytes on Linux


def _write(path: Path, content: bytes) -> None:
    """Written under a temporary name then renamed: an interrupted run never leaves a truncated PDF."""
    partial = path.with_suffix(".pdf.partial")
    partial.write_bytes(content)
    os.replace(partial, path)


def render_share(pks: list[int], output_dir: str) -> WorkerReport:
    """One process's share: fetch by batches, render or copy, write, note the time of each document."""
    report = WorkerReport()
    directory = Path(output_dir)
    gel = Gel()  # the garbage collector kept off what lives on from one document to the next (documents/gel.py)
    try:
        for start in range(0, len(pks), BATCH_SIZE):
            _render_batch(pks[start : start + BATCH_SIZE], directory, report, gel)
    finally:
        # As it was, for the process that called the command in-process (--jobs 1).
        gel.degeler()
    report.rss_end_mb = _rss_mb()
    report.peak_mb = _peak_mb()
    return report


def _render_batch(pks: list[int], directory: Path, report: WorkerReport, gel: Gel) -> None:
    for convention in conventions_for_documents(Convention.objects.filter(pk__in=pks)).order_by("reference"):
        began, began_cpu = time.perf_counter(), time.process_time()
        filename, _content_type, pdf = convention_pdf(convention)
        _write(directory / filename, pdf)
        report.seconds.append(time.perf_counter() - began)
        report.cpu_seconds.append(time.process_time() - began_cpu)
        if convention.document:
            report.frozen += 1
        else:
            report.rendered += 1
        gel.apres_document()
        if len(report.seconds) == MEMORY_CHECKPOINT:
            report.rss_checkpoint_mb = _rss_mb()


def _render_share_in_child(args) -> WorkerReport:
    pks, output_dir = args
    try:
        return render_share(pks, output_dir)
    finally:
        connections.close_all()


def _p95(values: list[float]) -> float:
    """The 95th percentile, interpolated between the measures (the only measure when there is one)."""
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def _s(value: float) -> str:
    return f"{value:.3f}".replace(".", ",")


class Command(BaseCommand):
    help = (
        "Écrit le PDF de chaque convention d'une année scolaire, un fichier par convention nommé d'après sa référence."
    )

    def add_arguments(self, parser):
        ajouter_option_annee(parser)
        parser.add_argument("--output-dir", required=True, help="Dossier où écrire les PDF (créé s'il manque).")
        parser.add_argument("--jobs", type=int, default=1, help="Nombre de processus de rendu (1 par défaut).")

    def handle(self, *args, annee, output_dir, jobs, **options):
        if jobs < 1:
            raise CommandError(f"--jobs doit valoir au moins 1 (reçu : {jobs}).")
        annee_scolaire = annee_des_options(annee, options["academie"])
        directory = Path(output_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Impossible de créer le dossier {directory} : {exc.strerror}.") from exc

        pks = list(Convention.objects.for_annee(annee_scolaire).order_by("reference").values_list("pk", flat=True))
        jobs = max(1, min(jobs, len(pks)))
        began = time.perf_counter()
        reports = self._run(pks, str(directory), jobs)
        total = time.perf_counter() - began
        self._summary(reports, total, jobs, directory)

    def _run(self, pks: list[int], output_dir: str, jobs: int) -> list[WorkerReport]:
        if jobs == 1:
            return [render_share(pks, output_dir)]
        # Forked children must not share the parent's database connection: each opens its own.
        connections.close_all()
        shares = [(pks[index::jobs], output_dir) for index in range(jobs)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_render_share_in_child, shares, chunksize=1)

    def _summary(self, reports: list[WorkerReport], total: float, jobs: int, directory: Path) -> None:
        seconds = [s for report in reports for s in report.seconds]
        count = len(seconds)
        rendered = sum(r.rendered for r in reports)
        frozen = sum(r.frozen for r in reports)
        self.stdout.write(
            f"Documents : {count} ({rendered} rendu{'s' if rendered > 1 else ''}, {frozen} "
            f"exemplaire{'s' if frozen > 1 else ''} figé{'s' if frozen > 1 else ''}) dans {directory}"
        )
        rate = f"{count / total if total else 0.0:.1f}".replace(".", ",")
        self.stdout.write(f"Durée totale : {_s(total)} s, soit {rate} documents/s ({jobs} processus)")
        if seconds:
            cpu = [s for report in reports for s in report.cpu_seconds]
            self.stdout.write(
                f"Par document : médiane {_s(statistics.median(seconds))} s, 95e centile {_s(_p95(seconds))} s "
                f"(temps processeur : médiane {_s(statistics.median(cpu))} s, 95e centile {_s(_p95(cpu))} s)"
            )
        for index, report in enumerate(reports, start=1):
            checkpoint = (
                f"{report.rss_checkpoint_mb:.0f} Mo après {MEMORY_CHECKPOINT} documents, "
                if report.rss_checkpoint_mb is not None
                else ""
            )
            self.stdout.write(
                f"Mémoire du processus {index} : pic {report.peak_mb:.0f} Mo ({checkpoint}"
                f"{report.rss_end_mb:.0f} Mo après {pluriel(len(report.seconds), 'document')})"
            )
