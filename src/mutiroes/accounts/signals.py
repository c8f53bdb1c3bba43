from django.db.models.signals import post_save
from django.dispatch import receiver

from mutiroes.accounts.models import NotificationSettings, Profile, User


@receiver(post_save, sender=User)
def create_profile(sender: type[User], instance: User, created: bool, **kwargs: object) -> None:
    # Every user has a profile and notification settings, whichever path created it (API, admin, createsuperuser).
    if created:
        Profile.objects.get_or_create(user=instance)
        NotificationSettings.objects.get_or_create(user=instance)
