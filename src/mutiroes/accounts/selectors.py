from django.db.models import Q

from mutiroes.accounts.models import User
from mutiroes.core.exceptions import NotFound


def user_get_by_login(*, login: str) -> User | None:
    """The account a login names: its username, or its e-mail (case-insensitive)."""
    return User.objects.filter(Q(username=login) | Q(email__iexact=login), is_active=True).first()


def user_public_profile_get(*, username: str, viewer: User | None) -> User:
    user = User.objects.select_related("profile").filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound("user", username=username)
    is_self = viewer is not None and viewer.pk == user.pk
    if not user.profile.is_public and not is_self:
        # A private profile is indistinguishable from a missing one.
        raise NotFound("user", username=username)
    return user


def active_user_exists(*, user_id: object) -> bool:
    return isinstance(user_id, int) and User.objects.filter(pk=user_id, is_active=True).exists()
