"""`render_conventions` writes one PDF per convention of a year, named after its reference, and sums up the run."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from conventions.models import Convention
from conventions.services import envoyer_pour_signature
from tests.factories import AnneeScolaireFactory, ConventionFactory

from .pdf_support import frozen_bytes, pages_text


def run(**options) -> str:
    out = io.StringIO()
    call_command("render_conventions", stdout=out, **options)
    return out.getvalue()


def make_year():
    """Two drafts and one sent convention in 2021-2022, one convention of another year."""
    drafts = [ConventionFactory(ecoles=2), ConventionFactory(ecoles=5)]
    sent = ConventionFactory(ecoles=1)
    envoyer_pour_signature(sent)
    ConventionFactory(annee=AnneeScolaireFactory(libelle="2022-2023"), ecoles=1)
    return drafts, Convention.objects.get(pk=sent.pk)


def check_output(directory, drafts, sent, output: str, jobs: int):
    assert sorted(p.name for p in directory.iterdir()) == sorted(f"{c.reference}.pdf" for c in [*drafts, sent])
    assert (directory / f"{sent.reference}.pdf").read_bytes() == frozen_bytes(sent)
    for draft in drafts:
        assert "PROJET" in pages_text((directory / f"{draft.reference}.pdf").read_bytes())[0]
    assert f"Documents : 3 (2 rendus, 1 exemplaire figé) dans {directory}" in output
    assert re.search(rf"Durée totale : \d+,\d{{3}} s, soit \d+,\d documents/s \({jobs} processus\)", output)
    assert re.search(
        r"Par document : médiane \d+,\d{3} s, 95e centile \d+,\d{3} s "
        r"\(temps processeur : médiane \d+,\d{3} s, 95e centile \d+,\d{3} s\)",
        output,
    )
    memory = re.findall(r"Mémoire du processus (\d) : pic (\d+) Mo \((\d+) Mo après (\d+) documents?\)", output)
    assert [m[0] for m in memory] == [str(n) for n in range(1, jobs + 1)]
    assert sum(int(m[3]) for m in memory) == 3
    assert all(0 < int(m[2]) <= int(m[1]) + 1 for m in memory)


def test_one_process(db, tmp_path):
    """One file per convention of the year (frozen bytes for the sent one), and the summary."""
    drafts, sent = make_year()
    directory = tmp_path / "sortie" / "2021-2022"
    check_output(directory, drafts, sent, run(annee="2021-2022", output_dir=str(directory)), jobs=1)


@pytest.mark.django_db(transaction=True)
def test_forked_processes_write_their_share(tmp_path):
    """With --jobs 2, two forked processes (their own database connections) write all the files between them."""
    drafts, sent = make_year()
    directory = tmp_path / "pdf"
    output = run(annee="2021-2022", output_dir=str(directory), jobs=2)
    check_output(directory, drafts, sent, output, jobs=2)


def test_unknown_year_and_bad_jobs(db, tmp_path):
    """Clear French errors for a year that does not exist and for a number of processes below 1."""
    with pytest.raises(CommandError, match=r"L'année scolaire 1999-2000 \(--annee\) n'existe pas"):
        run(annee="1999-2000", output_dir=str(tmp_path))
    with pytest.raises(CommandError, match="--jobs doit valoir au moins 1"):
        run(annee="2021-2022", output_dir=str(tmp_path), jobs=0)
