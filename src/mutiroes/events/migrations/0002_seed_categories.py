from django.db import migrations

CATEGORIES = [
    ("Limpeza", "limpeza", "Mutirões de limpeza de praias, rios, praças e parques."),
    ("Plantio", "plantio", "Plantio de árvores e mudas nativas, recuperação de áreas degradadas."),
    ("Monitoramento", "monitoramento", "Monitoramento ambiental: qualidade da água, fauna, flora, lixo."),
    ("Educação ambiental", "educacao-ambiental", "Oficinas, palestras e atividades de educação ambiental."),
]


def seed(apps, schema_editor):
    Category = apps.get_model("events", "Category")
    for name, slug, description in CATEGORIES:
        Category.objects.update_or_create(slug=slug, defaults={"name": name, "description": description})


def unseed(apps, schema_editor):
    apps.get_model("events", "Category").objects.filter(slug__in=[c[1] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
