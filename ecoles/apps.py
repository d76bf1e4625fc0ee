from django.apps import AppConfig


class EcolesConfig(AppConfig):
    name = "ecoles"
    verbose_name = "Écoles"

    def ready(self):
        # The schools' file among the imports an agent runs from the admin (collectivites.imports).
        from collectivites.imports import enregistrer_format

        from .importers import IMPORT_ECOLES

        enregistrer_format(IMPORT_ECOLES)
