"""A schools file uploaded in the admin is previewed and imported by a real Celery worker (another process, reading
the stored file), each message delivered twice: the import runs once."""

import re
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collectivites import imports_fichiers
from collectivites.models import ImportFichier
from ecoles.models import Ecole
from tests.campagne.worker import Worker
from tests.factories import UserFactory

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

IPS = Path(__file__).parents[1] / "ecoles" / "data" / "ministere" / "ips-ecoles-aude-2021-2022.csv"
TACHE_REUSSIE = re.compile(r"Task collectivites\.tasks\.executer_import\[[0-9a-f-]+\] succeeded")


def attendre(worker: Worker, import_: ImportFichier, taches: int, timeout: float = 300) -> ImportFichier:
    """Until the run is over and the worker has finished `taches` messages (the copies included)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        import_.refresh_from_db()
        if import_.est_fini and len(TACHE_REUSSIE.findall(worker.logs())) >= taches:
            return import_
        time.sleep(0.3)
    pytest.fail(f"{import_} : {import_.get_etat_display()}\n{worker.logs()[-3000:]}")


def test_import_des_ecoles_sur_un_vrai_worker(client, worker):
    """Preview and import run on the worker; a second delivery of each message, racing the first, changes nothing."""
    agent = UserFactory(email="referentiel@ac-montpellier.fr", is_staff=True, is_superuser=True)
    client.force_login(agent)

    upload = SimpleUploadedFile(IPS.name, IPS.read_bytes(), "text/csv")
    response = client.post(reverse("admin:ecoles_ecole_importer"), {"fichier": upload})
    apercu = ImportFichier.objects.get()
    imports_fichiers.mettre_en_file(apercu.pk)  # the broker delivers it again, to the worker's other process

    assert response.status_code == 302
    apercu = attendre(worker, apercu, taches=2)
    assert (apercu.etat, apercu.rapport["creees"]) == (ImportFichier.Etat.TERMINE, 229)
    assert not Ecole.objects.exists()

    client.post(reverse("admin:collectivites_importfichier_confirmer", args=[apercu.pk]))
    import_ = ImportFichier.objects.get(apercu=apercu)
    imports_fichiers.mettre_en_file(import_.pk)

    import_ = attendre(worker, import_, taches=4)
    # Run a second time, the import would have found the 229 schools already there, and said so in the report.
    assert (import_.etat, import_.rapport["creees"], import_.rapport["inchangees"]) == (
        ImportFichier.Etat.TERMINE,
        229,
        0,
    )
    assert Ecole.objects.count() == 229
    assert Ecole.history.filter(history_user=agent).count() == 229
    assert (
        '<th scope="row">Écoles créées</th><td>229</td>'
        in client.get(reverse("admin:collectivites_importfichier_change", args=[import_.pk])).content.decode()
    )
