"""The "Gestion ENT" agents invite portal accounts, manage them, and export the contacts of Article 2.7."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GESTION_ENT = "Gestion ENT"
MODELS = ["user", "invitation", "contact"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; they are needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    gestion, _ = Group.objects.get_or_create(name=GESTION_ENT)
    gestion.permissions.add(
        *Permission.objects.filter(content_type__app_label="collectivites", content_type__model__in=MODELS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GESTION_ENT):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="collectivites", content_type__model__in=MODELS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("collectivites", "0002_invitations_contacts"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
