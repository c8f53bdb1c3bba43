from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from mutiroes.accounts import selectors, services
from mutiroes.accounts.unsubscribe import unsubscribe_apply
from mutiroes.api.auth import current_user, jwt, optional_jwt
from mutiroes.api.pagination import PageParams, paginate
from mutiroes.api.schemas.accounts import (
    AccountDeleteIn,
    BadgeOut,
    ExportOut,
    MeOut,
    MyEventsFilters,
    NotificationSettingsIn,
    NotificationSettingsOut,
    ProfilePatch,
    PublicProfileWithStatsOut,
    UserBadgeOut,
    UserStatsOut,
)
from mutiroes.api.schemas.common import Error
from mutiroes.api.schemas.enums import NotificationKind
from mutiroes.api.schemas.events import EventPage
from mutiroes.api.serializers import me_out, public_profile_out, with_my_participation
from mutiroes.api.throttles import PasswordConfirmThrottle
from mutiroes.certificates import stats
from mutiroes.events import selectors as event_selectors
from mutiroes.privacy import lgpd

# No route awards badges: only the background jobs call certificates.badges.
router = Router(tags=["accounts"])


@router.get("/users/me", response={200: MeOut, 401: Error}, auth=jwt)
def get_me(request: HttpRequest) -> dict:
    """The caller's account and profile."""
    return me_out(request.auth)


@router.patch("/users/me", response={200: MeOut, 401: Error, 422: Error}, auth=jwt)
def update_me(request: HttpRequest, payload: ProfilePatch) -> dict:
    """Change the caller's profile; fields left out stay as they are."""
    user = services.user_update_profile(user=request.auth, data=payload.model_dump(exclude_unset=True))
    return me_out(user)


@router.delete(
    "/users/me",
    response={204: None, 400: Error, 401: Error, 403: Error, 409: Error, 422: Error, 429: Error},
    auth=jwt,
    throttle=[PasswordConfirmThrottle()],
)
def delete_me(request: HttpRequest, payload: AccountDeleteIn) -> Status:
    """Delete the caller's account (LGPD): personal data is erased; confirm with the password."""
    lgpd.user_delete_account(user=request.auth, password=payload.password)
    return Status(204, None)


@router.get("/users/me/notification-settings", response={200: NotificationSettingsOut, 401: Error}, auth=jwt)
def get_notification_settings(request: HttpRequest) -> object:
    """Which e-mails the caller receives, and the reminder's lead time."""
    return selectors.notification_settings_get(user=request.auth)


@router.put(
    "/users/me/notification-settings", response={200: NotificationSettingsOut, 401: Error, 422: Error}, auth=jwt
)
def update_notification_settings(request: HttpRequest, payload: NotificationSettingsIn) -> object:
    """Replace the caller's e-mail settings."""
    return services.notification_settings_update(
        user=request.auth, email=payload.email.model_dump(), reminder_lead_hours=payload.reminder_lead_hours
    )


@router.get("/users/me/events", response={200: EventPage, 401: Error, 422: Error}, auth=jwt)
def list_my_events(request: HttpRequest, filters: Query[MyEventsFilters], page: Query[PageParams]) -> dict:
    """Events the caller organises or is registered for."""
    result = paginate(event_selectors.user_event_list(user=request.auth, role=filters.role), page)
    with_my_participation(result["items"], request.auth)
    return result


@router.get("/users/me/stats", response={200: UserStatsOut, 401: Error}, auth=jwt)
def get_my_stats(request: HttpRequest) -> object:
    """The caller's volunteering figures: events attended, hours, impact shares."""
    return stats.user_stats_current(user_id=request.auth.pk)


@router.get("/users/me/badges", response={200: list[UserBadgeOut], 401: Error}, auth=jwt)
def list_my_badges(request: HttpRequest) -> list:
    """Badges the caller has earned."""
    return list(selectors.user_badge_list(user_id=request.auth.pk))


@router.get("/users/me/export", response={200: ExportOut, 401: Error}, auth=jwt)
def export_me(request: HttpRequest) -> dict:
    """LGPD export: every record held about the caller."""
    return lgpd.user_export(user=request.auth)


@router.get("/badges", response={200: list[BadgeOut]}, auth=None)
def list_badges(request: HttpRequest) -> list:
    """The badge catalogue and what earns each badge."""
    return list(selectors.badge_catalogue())


@router.get("/users/{username}", response={200: PublicProfileWithStatsOut, 401: Error, 404: Error}, auth=optional_jwt)
def get_user_profile(request: HttpRequest, username: str) -> dict:
    """A public profile, with stats and badges when the person shows them."""
    user = selectors.user_public_profile_get(username=username[:150], viewer=current_user(request))
    return public_profile_out(user) | stats.user_public_achievements(user=user)


class UnsubscribedOut(Schema):
    kind: NotificationKind = Field(description="the kind of e-mail now switched off")


@router.post(
    "/notifications/unsubscribe", response={200: UnsubscribedOut, 422: Error}, auth=None, operation_id="unsubscribe"
)
def unsubscribe(request: HttpRequest, token: Query[str]) -> dict:
    """One-click unsubscribe (RFC 8058) from the kind of e-mail the signed token names; no sign-in needed."""
    return {"kind": unsubscribe_apply(token=token[:1000])}
