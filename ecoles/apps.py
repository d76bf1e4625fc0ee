from django.apps import AppConfig


class EcolesConfig(AppConfig):
    name = "ecoles"
    verbose_name = "Écoles"
