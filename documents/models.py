"""What an issued document is, whatever its type: a file, the SHA-256 of its bytes, a verification code, an issue
date, and the signature level its file carries.

`DocumentEmis` is abstract and adds no column of its own but `code_verification` (the same definition on every
issued document). Each model keeps its file, fingerprint and date fields under the names its database columns,
its triggers (which refuse changes to issued rows) and its history already use, and says which they are:

    class TitreDePerception(DocumentEmis):
        champ_fichier = "pdf"
        champ_empreinte = "pdf_sha256"
        champ_emission = "date_emission"

Renaming those fields would rename columns that PostgreSQL triggers name; declaring them here under one name for
all would need `db_column` on each and a migration of the state for no gain. The signature level is read from the
file (documents.signatures), never stored: it is what the bytes say, and the bytes never change.
"""

import datetime
import hashlib

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from . import stockage
from .verification import affiche, contexte_pdf, nouveau_code, url_verification


class FichierAltere(Exception):
    """The stored file no longer matches the SHA-256 recorded at issue. The message is for users."""


def empreinte(contenu: bytes) -> str:
    """The SHA-256 of a file, as stored beside it and as /verifier/ looks it up."""
    return hashlib.sha256(contenu).hexdigest()


class DocumentEmis(models.Model):
    # The names of the model's own fields (see the module's docstring).
    champ_fichier = "fichier"
    champ_empreinte = "fichier_sha256"
    # A DateField or a DateTimeField (then read as the local date).
    champ_emission = "date_emission"
    # The exception raised when the stored file was altered: a model may name a subclass its callers catch.
    erreur_alteration: type[FichierAltere] = FichierAltere

    # Printed on the PDF with a QR code; /verifier/ finds the document by it (documents/verification.py).
    code_verification = models.CharField(
        "code de vérification", max_length=16, unique=True, null=True, blank=True, editable=False
    )

    class Meta:
        abstract = True

    # --- the file and its fingerprint ---

    @property
    def fichier_emis(self) -> FieldFile:
        return getattr(self, self.champ_fichier)

    @property
    def empreinte(self) -> str:
        return getattr(self, self.champ_empreinte)

    @property
    def designation_document(self) -> str:
        """How a message names the document after « Le PDF »: « du titre n° 2022-000001 »."""
        return f"de « {self} »"

    def joindre_fichier(self, nom: str, contenu: bytes) -> None:
        """Stores the issued bytes and their SHA-256 on the row (saved by the caller); the file is kept only if the
        issuing transaction commits (documents.stockage)."""
        setattr(self, self.champ_empreinte, empreinte(contenu))
        stockage.ecrire(self.fichier_emis, nom, contenu)

    def est_intact(self, contenu: bytes) -> bool:
        return bool(self.empreinte) and empreinte(contenu) == self.empreinte

    def lire_fichier(self) -> bytes:
        """The bytes stored at issue, after checking they still match their SHA-256: an altered file is never
        served, mailed or exported."""
        with self.fichier_emis.open("rb") as stored:
            contenu = stored.read()
        if not self.est_intact(contenu):
            raise self.erreur_alteration(
                f"Le PDF {self.designation_document} ne correspond plus à l'empreinte enregistrée à son émission : "
                "il a été altéré. Prévenez l'administrateur."
            )
        return contenu

    def niveau_signature(self) -> str:
        """ "PAdES B-LT (horodatée, …)", or "" when the issued file carries no electronic signature."""
        from .signatures import niveau_affiche  # pyHanko is heavy to import; only the admin asks

        return niveau_affiche(self.lire_fichier())

    # --- the issue date ---

    @property
    def emis_le_jour(self) -> datetime.date | None:
        valeur = getattr(self, self.champ_emission)
        if isinstance(valeur, datetime.datetime):
            return timezone.localdate(valeur)
        return valeur

    # --- the verification code ---

    def attribuer_code(self) -> str:
        """A new code (not saved): at each issue, so that a withdrawn document's code verifies nothing."""
        self.code_verification = nouveau_code()
        return self.code_verification

    @property
    def code_affiche(self) -> str:
        """ "K7QM-4XPA-9DZC", or "" before the document is issued."""
        return affiche(self.code_verification) if self.code_verification else ""

    @property
    def url_verification(self) -> str:
        return url_verification(self.code_verification) if self.code_verification else ""

    def contexte_verification(self) -> dict:
        """What pdf/_verification.html prints: the code, the address and the QR code (nothing without a code)."""
        return contexte_pdf(self.code_verification)
