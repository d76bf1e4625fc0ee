from django.apps import AppConfig


class EcolesConfig(AppConfig):
    name = "ecoles"
    verbose_name = "Écoles"

    def ready(self):
        from collectivites.mouvements import commune_remplacee

        from .communes import suivre_commune

        commune_remplacee.connect(suivre_commune, dispatch_uid="ecoles.suivre_commune")
