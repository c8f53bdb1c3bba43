from django.db import migrations, models


def fill_skeletons(apps, schema_editor):
    """Existing names get their skeleton in id order; a later name that looks like an earlier one keeps NULL (it
    stays usable, and nobody new can take a third look-alike of either)."""
    from mutiroes.accounts.usernames import username_skeleton

    User = apps.get_model("accounts", "User")
    seen: set[str] = set()
    for user in User.objects.order_by("id").only("id", "username").iterator(chunk_size=1000):
        skeleton = username_skeleton(user.username)
        if skeleton not in seen:
            seen.add(skeleton)
            User.objects.filter(pk=user.pk).update(username_skeleton=skeleton)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_token_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_skeleton",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_skeletons, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(fields=("username_skeleton",), name="user_username_skeleton_unique"),
        ),
    ]
