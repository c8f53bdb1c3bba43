from decimal import Decimal

from django.db import migrations

# slug, name, description, criterion, threshold, icon
BADGES = [
    ("primeiro-mutirao", "Primeiro Mutirão", "Participou do seu primeiro mutirão (presença confirmada).",
     "events_attended", 1, "sprout"),
    ("voluntario-assiduo", "Voluntário Assíduo", "Esteve presente em 5 mutirões.", "events_attended", 5, "calendar-check"),
    ("veterano-dos-mutiroes", "Veterano dos Mutirões", "Esteve presente em 20 mutirões.", "events_attended", 20,
     "medal"),
    ("dez-horas-de-dedicacao", "10 Horas de Dedicação", "Somou 10 horas de voluntariado.", "hours_volunteered", 10,
     "clock"),
    ("cem-horas-pelo-planeta", "100 Horas pelo Planeta", "Somou 100 horas de voluntariado.", "hours_volunteered", 100,
     "globe"),
    ("puxador-de-mutirao", "Puxador de Mutirão", "Organizou um mutirão que aconteceu.", "events_organized", 1,
     "megaphone"),
    ("lideranca-comunitaria", "Liderança Comunitária", "Organizou 5 mutirões que aconteceram.", "events_organized", 5,
     "users"),
    ("guardiao-verde", "Guardião Verde", "Ajudou a plantar 10 árvores.", "trees_planted", 10, "tree"),
    ("floresta-viva", "Floresta Viva", "Ajudou a plantar 100 árvores.", "trees_planted", 100, "trees"),
    ("caca-lixo", "Caça-Lixo", "Ajudou a recolher 50 kg de resíduos.", "trash_kg", 50, "trash"),
    ("mare-limpa", "Maré Limpa", "Ajudou a recolher 500 kg de resíduos.", "trash_kg", 500, "waves"),
    ("amigo-da-reciclagem", "Amigo da Reciclagem", "Ajudou a separar 25 kg de recicláveis.", "recyclable_kg", 25,
     "recycle"),
    ("restaurador", "Restaurador de Áreas", "Ajudou a recuperar 1.000 m² de área.", "area_m2", 1000, "map"),
]  # fmt: skip


def seed_badges(apps, schema_editor):
    Badge = apps.get_model("accounts", "Badge")
    for slug, name, description, criterion, threshold, icon in BADGES:
        Badge.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "criterion": criterion,
                "threshold": Decimal(threshold),
                "icon": icon,
            },
        )


def unseed_badges(apps, schema_editor):
    Badge = apps.get_model("accounts", "Badge")
    UserBadge = apps.get_model("accounts", "UserBadge")
    slugs = [b[0] for b in BADGES]
    UserBadge.objects.filter(badge__slug__in=slugs).delete()
    Badge.objects.filter(slug__in=slugs).delete()


def backfill_settings(apps, schema_editor):
    # Users created before this migration get their settings row (the signal covers new ones).
    User = apps.get_model("accounts", "User")
    NotificationSettings = apps.get_model("accounts", "NotificationSettings")
    missing = User.objects.filter(notification_settings__isnull=True).values_list("pk", flat=True)
    NotificationSettings.objects.bulk_create(
        [NotificationSettings(user_id=pk) for pk in missing.iterator()], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_notification_settings_stats_badges")]
    operations = [
        migrations.RunPython(seed_badges, unseed_badges),
        migrations.RunPython(backfill_settings, migrations.RunPython.noop),
    ]
