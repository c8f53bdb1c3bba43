from django.db.models import Q, QuerySet

from mutiroes.accounts.models import Badge, NotificationKind, NotificationSettings, User, UserBadge
from mutiroes.accounts.usernames import username_normalize
from mutiroes.core.exceptions import NotFound


def user_get_by_login(*, login: str) -> User | None:
    """The account a login names: its username (as stored, in NFKC), or its e-mail (case-insensitive)."""
    login = username_normalize(login)
    return User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login), is_active=True).first()


def user_public_profile_get(*, username: str, viewer: User | None) -> User:
    user = User.objects.select_related("profile").filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound("user", username=username)
    is_self = viewer is not None and viewer.pk == user.pk
    if not user.profile.is_public and not is_self:
        # A private profile is indistinguishable from a missing one.
        raise NotFound("user", username=username)
    return user


def token_still_valid(*, user: User, version: object) -> bool:
    """False for a token issued before the account signed out everywhere (password change or reset)."""
    return (version or 0) == user.token_version


def user_for_token(*, user_id: object, version: object) -> User | None:
    """The active account a token names, if the token was issued after its last sign-out-everywhere."""
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
    return user if user is not None and token_still_valid(user=user, version=version) else None


def notification_settings_get(*, user: User) -> NotificationSettings:
    """The user's settings; the defaults if the row is missing (the signal and a migration create it)."""
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)


def notification_allowed(*, user_id: int, kind: str) -> bool:
    """May the platform send this user an e-mail of this kind? Called by the e-mail job before sending.

    Kinds with a toggle (NotificationKind) follow the user's setting; other kinds (e.g. monthly_report,
    account e-mails) cannot be switched off. Nobody e-mails a missing or deactivated account.
    """
    user = User.objects.filter(pk=user_id, is_active=True).select_related("notification_settings").first()
    if user is None:
        return False
    if kind not in NotificationKind.values:
        return True
    settings = getattr(user, "notification_settings", None)
    return settings is None or settings.allows(kind)


def badge_catalogue() -> QuerySet[Badge]:
    return Badge.objects.filter(is_active=True)


def user_badge_list(*, user_id: int) -> QuerySet[UserBadge]:
    return UserBadge.objects.filter(user_id=user_id).select_related("badge").order_by("awarded_at", "id")
