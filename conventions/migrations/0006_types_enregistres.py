from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0005_montants_figes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="type",
            field=models.CharField(max_length=20, verbose_name="type"),
        ),
        migrations.AlterField(
            model_name="traitement",
            name="type",
            field=models.CharField(max_length=20, verbose_name="type"),
        ),
    ]
