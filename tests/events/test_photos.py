"""Event photos: who may post, content checks (not names), metadata stripped, thumbnails, deletion."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from mutiroes.core.exceptions import Forbidden, InvalidState, NotFound, TooLarge, UnsupportedMedia, ValidationFailed
from mutiroes.events.models import EventPhoto
from mutiroes.events.services_community import photo_delete, photo_upload
from tests.events.photo_samples import image_bytes, metadata_of, phone_jpeg, png_claiming, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]  # uploads go to a temp dir


def _post(event, user, content=None, name="photo.jpg", **fields):
    content = image_bytes() if content is None else content
    fields = {"is_before": False, "is_after": False} | fields
    return photo_upload(event_id=event.id, user=user, upload=upload(content, name), **fields)


def _stored(field) -> bytes:
    with default_storage.open(field.name) as handle:
        return handle.read()


def test_gps_and_every_other_metadata_are_stripped(event, participant, media_root):
    original = phone_jpeg()
    assert metadata_of(original)["gps"]  # the sample really carries a position

    photo = _post(event, participant, original)

    for stored in (_stored(photo.image), _stored(photo.thumbnail)):
        assert metadata_of(stored) == {"exif_tags": {}, "gps": {}, "info_keys": [], "raw_exif": False}
    assert str(media_root) in default_storage.path(photo.image.name)


def test_photo_is_turned_upright_by_its_exif_orientation(event, participant):
    photo = _post(event, participant, phone_jpeg(size=(120, 60), orientation=6))  # 6: rotate 90° to display
    with Image.open(io.BytesIO(_stored(photo.image))) as image:
        assert image.size == (60, 120)


def test_thumbnail_fits_in_the_configured_box(event, participant, settings):
    settings.PHOTO_THUMBNAIL_PX = 400
    photo = _post(event, participant, image_bytes(size=(1600, 900)))
    with Image.open(io.BytesIO(_stored(photo.thumbnail))) as thumbnail:
        assert thumbnail.size == (400, 225)
    with Image.open(io.BytesIO(_stored(photo.image))) as image:
        assert image.size == (1600, 900)


@pytest.mark.parametrize(
    ("content", "fmt", "extension"),
    [
        (image_bytes("PNG", mode="RGBA"), "PNG", ".png"),
        (image_bytes("WEBP"), "WEBP", ".webp"),
        (image_bytes("JPEG", mode="CMYK"), "JPEG", ".jpg"),
    ],
)
def test_png_webp_and_jpeg_are_kept_in_their_format(event, participant, content, fmt, extension):
    photo = _post(event, participant, content, name="whatever.bin")  # the name does not matter, the content does
    assert photo.image.name.endswith(extension)
    with Image.open(io.BytesIO(_stored(photo.image))) as image:
        assert image.format == fmt


def test_multi_picture_jpeg_from_a_phone_is_accepted(event, participant):
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    photo = _post(event, participant, buffer.getvalue())
    with Image.open(io.BytesIO(_stored(photo.image))) as image:
        assert (image.format, image.getpixel((20, 15))[0] > 200) == ("JPEG", True)


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4 not a photo at all" * 10,
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        image_bytes("GIF"),
        image_bytes("BMP"),
        image_bytes("TIFF"),
        b"",
    ],
    ids=["pdf", "svg", "gif", "bmp", "tiff", "empty"],
)
def test_anything_but_jpeg_png_webp_is_refused_whatever_its_name(event, participant, content):
    with pytest.raises(UnsupportedMedia):
        _post(event, participant, content, name="holiday.jpg")
    assert not EventPhoto.objects.exists()


def test_truncated_image_is_refused(event, participant):
    content = image_bytes(size=(300, 300))
    with pytest.raises(ValidationFailed):
        _post(event, participant, content[: len(content) // 2])


def test_size_limit_is_checked_before_decoding(event, participant, settings):
    settings.PHOTO_MAX_BYTES = 1000
    with pytest.raises(TooLarge):
        _post(event, participant, image_bytes(size=(400, 400)) + b"\0" * 1000)
    assert not EventPhoto.objects.exists()


def test_decompression_bomb_is_refused_from_its_header(event, participant):
    # 8000 × 6000 = 48 MP in a few kilobytes: decoding it as RGB would take 144 MB.
    bomb = image_bytes("PNG", size=(8000, 6000), mode="1")
    assert len(bomb) < 100_000
    with pytest.raises(ValidationFailed) as caught:
        _post(event, participant, bomb)
    assert "pixels" in caught.value.message


@pytest.mark.parametrize("size", [(100_000, 100_000), (65_535, 1_000)], ids=["beyond-pillow-limit", "beyond-ours"])
def test_forged_dimensions_are_refused_without_decoding(event, participant, size):
    with pytest.raises(ValidationFailed) as caught:
        _post(event, participant, png_claiming(*size), name="bomb.png")
    assert "pixels" in caught.value.message


def test_before_and_after_together_are_refused(event, participant):
    with pytest.raises(ValidationFailed):
        _post(event, participant, is_before=True, is_after=True)


def test_organizer_and_confirmed_or_checked_in_participants_post(
    event, participant, user_factory, participation_factory
):
    checked_in = user_factory()
    participation_factory(event=event, user=checked_in, checked_in_at=event.start_date)
    for user in (event.organizer, participant, checked_in):
        _post(event, user, caption=f"by {user.username}")
    assert EventPhoto.objects.filter(event=event).count() == 3


@pytest.mark.parametrize("status", ["pending", "waitlisted", "cancelled", "rejected", None])
def test_others_cannot_post(event, user_factory, participation_factory, status):
    user = user_factory()
    if status is not None:
        participation_factory(event=event, user=user, status=status)
    with pytest.raises(Forbidden):
        _post(event, user)


def test_invisible_event_is_not_found(event_factory, user_factory):
    with pytest.raises(NotFound):
        _post(event_factory(status="draft"), user_factory())


def test_cancelled_event_takes_no_photos(event, participant):
    event.status = "cancelled"
    event.save()
    with pytest.raises(InvalidState):
        _post(event, participant)


def test_author_deletes_own_photo_and_its_files(event, participant, django_capture_on_commit_callbacks):
    photo = _post(event, participant)
    names = [photo.image.name, photo.thumbnail.name]
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(event_id=event.id, photo_id=photo.pk, user=participant)

    assert not EventPhoto.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_another_participant_cannot_delete_a_photo(event, participant, user_factory, participation_factory):
    photo = _post(event, participant)
    other = user_factory()
    participation_factory(event=event, user=other)
    with pytest.raises(Forbidden):
        photo_delete(event_id=event.id, photo_id=photo.pk, user=other)
    assert EventPhoto.objects.filter(pk=photo.pk).exists()


def test_organizer_removes_any_photo_of_the_event(event, participant):
    photo = _post(event, participant)
    photo_delete(event_id=event.id, photo_id=photo.pk, user=event.organizer)
    assert not EventPhoto.objects.exists()


def test_a_photo_is_deleted_only_through_its_own_event(event, participant, event_factory):
    photo = _post(event, participant)
    other_event = event_factory(organizer=participant)
    with pytest.raises(NotFound):
        photo_delete(event_id=other_event.id, photo_id=photo.pk, user=participant)


def test_deleting_the_event_removes_the_files(event, participant, django_capture_on_commit_callbacks):
    photo = _post(event, participant)
    with django_capture_on_commit_callbacks(execute=True):
        event.delete()
    assert not default_storage.exists(photo.image.name)
