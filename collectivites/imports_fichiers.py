"""The imports of files (`ImportFichier`) an agent runs from the admin, in the background: the kinds of files
(`FormatImport`, registered), the preview, its confirmation and the run on a worker, for every kind (schools,
communes). What a file's lines become is its importer's (`collectivites.importers`, `ecoles.importers`).

The admin saves the uploaded file to the default storage and records the run (`ImportFichier`); once that is
committed, a Celery task runs the kind's importer on a worker, which may be another machine (hence the storage).
Without a broker the task runs right here, in-process, as the project's other tasks do. A first run is a preview
(nothing written); confirming it runs the same file again, for real. The importer is the command line's own: one
transaction for the whole file, rolled back when a row is rejected, so that a bad file changes nothing.
"""

import logging
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from jobs import runner
from jobs.tabular import FichierIllisible, RapportImport

from .academies import ACADEMIES, TERRITOIRES
from .models import ImportFichier, academies_de

logger = logging.getLogger(__name__)

Etat = ImportFichier.Etat
TACHE = "collectivites.tasks.executer_import"


@dataclass(frozen=True)
class FormatImport:
    """A kind of file an agent may import from the admin. The app owning the records registers it
    (`enregistrer_format`, from its AppConfig.ready()): collectivites knows nothing of the schools."""

    type: str
    libelle: str
    # The importer, by import path: the command line's own function (file, nom_fichier, simulation, utilisateur, …).
    importeur: str
    # What a user needs to import it: the rights on the records the import creates and changes.
    droits: tuple[str, ...]
    # Where its pages lead back to: its records' list and its upload page (URL names), and the link's text.
    url_liste: str
    url_depot: str
    libelle_retour: str


FORMATS: dict[str, FormatImport] = {}


def enregistrer_format(format_: FormatImport) -> None:
    FORMATS[format_.type] = format_
    ImportFichier.ajouter_type(format_.type, format_.libelle)


class ImportImpossible(Exception):
    """The run cannot be started as asked. The message is for the agent."""


def peut_importer(user, type_: str) -> bool:
    return user.is_active and user.is_staff and user.has_perms(FORMATS[type_].droits)


def hors_de_ses_academies(user, import_: ImportFichier) -> bool:
    """An import beyond the agent's académies (a national one, for an agent of one académie)."""
    codes = academies_de(user)
    return codes is not None and import_.academie not in codes


def peut_confirmer(user, apercu: ImportFichier) -> bool:
    """Whether this user may confirm this preview now: what the follow-up page offers, and what `confirmer` allows."""
    return peut_importer(user, apercu.type) and not hors_de_ses_academies(user, apercu) and est_confirmable(apercu)


def types_permis(user) -> list[str]:
    return [type_ for type_ in FORMATS if peut_importer(user, type_)]


def rapport(import_: ImportFichier) -> RapportImport | None:
    return RapportImport.depuis_json(import_.rapport) if import_.rapport else None


def academie_de_l_import(options: dict, user) -> str:
    """The académie the import is limited to by its options (its académie, else its département's); blank for the
    whole country, which only a national role may import. Raises ImportImpossible for an agent's import that would
    reach beyond his académies."""
    departement = TERRITOIRES.get(options.get("departement") or "")
    academie = options.get("academie") or (departement.academie.code if departement else "")
    codes = academies_de(user)
    if not academie and codes is not None and len(codes) == 1:
        academie = options["academie"] = next(iter(codes))
    if codes is None or academie in codes:
        return academie
    noms = ", ".join(sorted(ACADEMIES[code].nom for code in codes)) or "aucune"
    raise ImportImpossible(
        "Limitez l'import à l'une de vos académies (" + noms + ") : indiquez son code ou l'un de ses départements. "
        "Un fichier national n'est importé en entier que par un agent du niveau national."
    )


def lancer_apercu(type_: str, fichier, options: dict, user) -> ImportFichier:
    """Stores the uploaded file and queues its preview, once committed (a worker must find the run)."""
    academie = academie_de_l_import(options, user)
    with transaction.atomic():
        import_ = ImportFichier(
            academie=academie,
            type=type_,
            nom_fichier=Path(fichier.name or "fichier").name[:200],
            options=options,
            simulation=True,
            lance_par=user,
        )
        # A name of our own in the storage: the uploaded name is only shown, never used as a path.
        import_.fichier.save(f"{uuid.uuid4().hex}.csv", fichier, save=False)
        import_.save()
        transaction.on_commit(partial(mettre_en_file, import_.pk))
    return import_


def est_confirmable(apercu: ImportFichier) -> bool:
    """A finished preview with something to write, not confirmed yet."""
    if not (apercu.simulation and apercu.etat == Etat.TERMINE and apercu.rapport):
        return False
    return rapport(apercu).a_enregistrer and not ImportFichier.objects.filter(apercu=apercu).exists()


def confirmer(apercu: ImportFichier, user) -> ImportFichier:
    """Queues the real import of a preview's file with the same options; a second click finds the first run."""
    with transaction.atomic():
        # The preview's row, locked: two clicks on « Confirmer » give one import.
        apercu = ImportFichier.objects.select_for_update().get(pk=apercu.pk)
        deja = ImportFichier.objects.filter(apercu=apercu).first()
        if deja is not None:
            return deja
        if hors_de_ses_academies(user, apercu):
            raise ImportImpossible(
                f"L'aperçu n° {apercu.pk} porte sur tout le pays : seul un agent du niveau national peut le confirmer."
            )
        if not est_confirmable(apercu):
            raise ImportImpossible(
                f"L'aperçu n° {apercu.pk} ne peut pas être confirmé : il n'est pas terminé, il a échoué ou il n'a "
                "rien à enregistrer."
            )
        import_ = ImportFichier.objects.create(
            type=apercu.type,
            fichier=apercu.fichier.name,
            nom_fichier=apercu.nom_fichier,
            options=apercu.options,
            academie=apercu.academie,
            simulation=False,
            apercu=apercu,
            lance_par=user,
        )
        transaction.on_commit(partial(mettre_en_file, import_.pk))
    return import_


def mettre_en_file(import_id: int) -> None:
    runner.mettre_en_file(TACHE, [import_id])


def executer(import_id: int) -> ImportFichier | None:
    """Runs one queued import, unless another worker has it or it is done. Safe to run twice (a redelivery)."""
    if not _commencer(import_id):
        return None
    with transaction.atomic():
        # Locked for the whole import: a second delivery of the message finds the row taken and leaves. A worker lost
        # mid-import releases it with its connection, and the redelivered message runs the import again from the start
        # (the lost run's transaction was rolled back).
        import_ = runner.reserver(
            ImportFichier.objects.select_related("lance_par").filter(etat=Etat.EN_COURS), import_id
        )
        if import_ is None:
            return None
        try:
            resultat = _importer(import_)
        except FichierIllisible as exc:
            _finir(import_, Etat.ECHEC, erreur=str(exc))
        except Exception as exc:
            # Recorded for the agent rather than raised: the page must leave « en cours ».
            logger.exception("Échec de l'import de fichier n° %s", import_.pk)
            _finir(import_, Etat.ECHEC, erreur=f"Erreur inattendue ({type(exc).__name__}) : {exc}")
        else:
            echec = resultat.annule
            _finir(
                import_,
                Etat.ECHEC if echec else Etat.TERMINE,
                resultat,
                erreur=resultat.motif_annulation() if echec else "",
            )
    return import_


def _commencer(import_id: int) -> bool:
    """Marks the run « en cours » in its own transaction, so that its page shows it while the import runs."""
    with transaction.atomic():
        import_ = runner.reserver(ImportFichier.objects.filter(etat__in=[Etat.EN_ATTENTE, Etat.EN_COURS]), import_id)
        if import_ is None:
            return False
        import_.etat = Etat.EN_COURS
        import_.commence_le = timezone.now()
        import_.save(update_fields=["etat", "commence_le"])
    return True


def _importer(import_: ImportFichier) -> RapportImport:
    importer = import_string(FORMATS[import_.type].importeur)
    try:
        fichier = import_.fichier.open("rb")
    except OSError as exc:
        raise FichierIllisible(
            f"Le fichier déposé « {import_.nom_fichier} » est introuvable dans le stockage : déposez-le à nouveau."
        ) from exc
    with fichier:
        return importer(
            fichier,
            nom_fichier=import_.nom_fichier,
            simulation=import_.simulation,
            utilisateur=import_.lance_par,
            **import_.options,
        )


def _finir(import_: ImportFichier, etat: str, resultat: RapportImport | None = None, erreur: str = "") -> None:
    import_.etat = etat
    import_.rapport = resultat.vers_json() if resultat else None
    import_.erreur = erreur
    import_.termine_le = timezone.now()
    import_.save(update_fields=["etat", "rapport", "erreur", "termine_le"])


enregistrer_format(
    FormatImport(
        type=ImportFichier.Type.COMMUNES,
        libelle=ImportFichier.Type.COMMUNES.label,
        importeur="collectivites.importers.importer_communes",
        droits=("collectivites.add_commune", "collectivites.change_commune", "collectivites.add_collectivite"),
        url_liste="admin:collectivites_commune_changelist",
        url_depot="admin:collectivites_commune_importer",
        libelle_retour="Retour aux communes",
    )
)
