from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collectivites", "0006_adhesions_datees"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importfichier",
            name="type",
            field=models.CharField(max_length=20, verbose_name="type"),
        ),
    ]
