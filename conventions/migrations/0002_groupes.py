"""The two staff groups and their permissions. Facturation adds its own permissions in its migrations."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GESTION_ENT = "Gestion ENT"
FINANCES = "Finances"

MODELS = {
    "collectivites": ["collectivite", "commune"],
    "ecoles": ["ecole"],
    "conventions": ["academie", "anneescolaire", "convention", "inscription"],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; they are needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    gestion, _ = Group.objects.get_or_create(name=GESTION_ENT)
    finances, _ = Group.objects.get_or_create(name=FINANCES)
    for app_label, models in MODELS.items():
        perms = Permission.objects.filter(content_type__app_label=app_label, content_type__model__in=models)
        gestion.permissions.add(*perms)
        finances.permissions.add(*perms.filter(codename__startswith="view_"))


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[GESTION_ENT, FINANCES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("collectivites", "0001_initial"),
        ("ecoles", "0001_initial"),
        ("conventions", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
