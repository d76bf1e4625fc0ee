"""The schools follow their commune into the commune that took its place (INSEE's mouvements des communes)."""

from simple_history.utils import bulk_update_with_history

from collectivites.academies import academie_de_commune

from .models import Ecole


def suivre_commune(sender, ancienne, nouvelle, motif, noter, **kwargs) -> None:
    """Receiver of `collectivites.mouvements.commune_remplacee`."""
    ecoles = list(Ecole.objects.filter(commune=ancienne).order_by("uai"))
    if not ecoles:
        return
    academie = academie_de_commune(nouvelle.code_insee)
    for ecole in ecoles:
        ecole.commune, ecole.academie = nouvelle, academie.code if academie else ""
        ecole.empreinte_import = ""  # the next schools file is compared again, not skipped as unchanged
    bulk_update_with_history(ecoles, Ecole, ["commune", "academie", "empreinte_import"], default_change_reason=motif)
    uais = ", ".join(ecole.uai for ecole in ecoles)
    noter(f"{len(ecoles)} école{'s' if len(ecoles) > 1 else ''} de {ancienne.nom} → {nouvelle.nom} : {uais}")
