"""Files written or deleted inside a database transaction follow its outcome.

A document's file is written before the row that points to it (the row stores its SHA-256), inside the
transaction of the issue. Should that transaction roll back, even one opened by a caller, the file would stay
behind: the PDF of a titre whose number then goes to another debtor. Django runs callbacks on commit
(`transaction.on_commit`) but has no hook on rollback; it drops the callbacks of a transaction or savepoint that
rolls back. So `ecrire` registers a callback that marks the file as kept, and a finalizer on that callback deletes
the file when it is dropped without having run. The reverse for a deletion: `supprimer_apres_commit` deletes a file
only once the change that lets it go is committed, so a rolled-back return to draft keeps the frozen PDF it needs.
"""

import weakref

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile


def ecrire(fichier: FieldFile, nom: str, contenu: bytes) -> None:
    """Stores `contenu` in the file field (its row is saved by the caller), kept only if the transaction commits."""
    fichier.save(nom, ContentFile(contenu), save=False)
    etat = {"commit": False}

    def garder():
        etat["commit"] = True

    # Outside a transaction, on_commit runs `garder` at once: the file is kept.
    weakref.finalize(garder, _supprimer_si_abandonne, fichier.storage, fichier.name, etat)
    transaction.on_commit(garder)


def _supprimer_si_abandonne(storage, nom: str, etat: dict) -> None:
    if not etat["commit"]:
        storage.delete(nom)


def supprimer_apres_commit(fichier: FieldFile) -> None:
    """Deletes the stored file once the transaction commits (at once outside one); the field is emptied now."""
    if not fichier:
        return
    storage, nom = fichier.storage, fichier.name
    transaction.on_commit(lambda: storage.delete(nom))
    setattr(fichier.instance, fichier.field.attname, "")
