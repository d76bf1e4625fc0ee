"""Next year's conventions follow their commune into the commune that took its place; sent ones keep the commune
(its name and code) they were sent with, and their frozen PDF."""

from .models import Convention


def suivre_commune(sender, ancienne, nouvelle, motif, noter, **kwargs) -> None:
    """Receiver of `collectivites.mouvements.commune_remplacee`: the drafts naming `ancienne` name `nouvelle`."""
    for convention in Convention.objects.brouillons().filter(commune=ancienne).select_related("collectivite"):
        doublon = Convention.objects.filter(
            annee=convention.annee_id, collectivite=convention.collectivite_id, commune=nouvelle
        ).first()
        if doublon is not None:
            noter(
                f"Convention {convention.reference} laissée sur {ancienne} : {doublon.reference} existe déjà pour "
                f"{nouvelle} : à fusionner par un agent."
            )
            continue
        convention.commune = nouvelle
        convention._change_reason = motif
        convention.save(update_fields=["commune"])
        noter(f"Convention {convention.reference} (brouillon) : commune {ancienne} → {nouvelle}")
    envoyees = Convention.objects.filter(commune=ancienne).exclude(etat=Convention.Etat.BROUILLON).count()
    if envoyees:
        noter(
            f"{envoyees} convention{'s' if envoyees > 1 else ''} déjà envoyée{'s' if envoyees > 1 else ''} ou "
            f"signée{'s' if envoyees > 1 else ''} garde{'nt' if envoyees > 1 else ''} {ancienne}, telle qu'envoyée."
        )
