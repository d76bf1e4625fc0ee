from django.apps import AppConfig


class ConventionsConfig(AppConfig):
    name = "conventions"
    verbose_name = "Conventions"
    # A convention's pages in the collectivités' portal (/espace/conventions/), mounted by the portal app.
    portal_urls = ("conventions/", "conventions.urls")

    def ready(self):
        from collectivites.destinataires import enregistrer_correspondant
        from collectivites.mouvements import commune_remplacee
        from documents.registry import enregistrer_type

        from .communes import suivre_commune
        from .documents import CONVENTION
        from .models import Academie

        # The convention as a document type (documents.registry): rendered, and found by /verifier/.
        enregistrer_type(CONVENTION)
        # A commune merged or renamed by INSEE is followed by the conventions that name it.
        commune_remplacee.connect(suivre_commune, dispatch_uid="conventions.suivre_commune")
        # Every e-mail to a collectivité names the académie's correspondent (collectivites does not know académies).
        enregistrer_correspondant(
            lambda collectivite: getattr(Academie.de_collectivite(collectivite), "correspondant", None)
        )
