"""The Django admin lists and opens every community model (resources, pledges, photos, comments)."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from mutiroes.events.models import Comment, EventPhoto, Pledge, Resource
from tests.events.photo_samples import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(event_factory, user_factory, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    event, user = event_factory(), user_factory()
    resource = Resource.objects.create(event=event, name="Luvas", quantity_needed=Decimal("10"))
    photo = EventPhoto(event=event, uploaded_by=user, caption="praia")
    photo.image.save("a.jpg", ContentFile(image_bytes()), save=False)
    photo.thumbnail.save("a-thumb.jpg", ContentFile(image_bytes()), save=False)
    photo.save()
    return [
        resource,
        Pledge.objects.create(resource=resource, user=user, quantity=Decimal("2")),
        photo,
        Comment.objects.create(event=event, author=user, content="Levo água"),
    ]


def test_staff_lists_and_opens_every_community_model(rows, user_factory):
    client = Client()
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    for row in rows:
        meta = row._meta
        changelist = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        change = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]))
        assert (meta.model_name, changelist.status_code, change.status_code) == (meta.model_name, 200, 200)
