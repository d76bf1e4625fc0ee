from django.apps import AppConfig


class EcolesConfig(AppConfig):
    name = "ecoles"
    verbose_name = "Écoles"

    def ready(self):
        from collectivites.imports_fichiers import enregistrer_format
        from collectivites.mouvements import commune_remplacee

        from .communes import suivre_commune
        from .importers import IMPORT_ECOLES

        # A commune merged into another (INSEE mouvements): its schools follow it.
        commune_remplacee.connect(suivre_commune, dispatch_uid="ecoles.suivre_commune")
        # The schools' file among the imports an agent runs from the admin (collectivites.imports_fichiers).
        enregistrer_format(IMPORT_ECOLES)
