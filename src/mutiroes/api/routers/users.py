from django.http import HttpRequest
from ninja import Router

from mutiroes.accounts import selectors, services
from mutiroes.api.auth import current_user, jwt, optional_jwt
from mutiroes.api.schemas.accounts import MeOut, ProfilePatch, PublicProfileOut
from mutiroes.api.schemas.common import Error
from mutiroes.api.serializers import me_out, public_profile_out

router = Router(tags=["accounts"])


@router.get("/users/me", response={200: MeOut, 401: Error}, auth=jwt)
def get_me(request: HttpRequest) -> dict:
    return me_out(request.auth)


@router.patch("/users/me", response={200: MeOut, 401: Error, 422: Error}, auth=jwt)
def update_me(request: HttpRequest, payload: ProfilePatch) -> dict:
    user = services.user_update_profile(user=request.auth, data=payload.model_dump(exclude_unset=True))
    return me_out(user)


@router.get("/users/{username}", response={200: PublicProfileOut, 401: Error, 404: Error}, auth=optional_jwt)
def get_user_profile(request: HttpRequest, username: str) -> dict:
    user = selectors.user_public_profile_get(username=username[:150], viewer=current_user(request))
    return public_profile_out(user)
