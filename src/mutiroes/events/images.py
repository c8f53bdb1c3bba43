"""Uploaded photos: checked by content (never by name or declared type), re-encoded without metadata.

Re-encoding is what makes EXIF, GPS, XMP and comments go away: only the pixels (auto-rotated by the EXIF
orientation first), the colour profile and palette transparency are written back. Pillow opens only the three
accepted formats,
and the pixel count is checked from the header before anything is decoded (decompression bombs).
"""

import io
import struct
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from mutiroes.core.exceptions import TooLarge, UnsupportedMedia, ValidationFailed

# Pillow format name → file extension; the stored file keeps the uploaded format.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Modes each encoder writes as they are; anything else is converted first.
ENCODABLE_MODES = {"JPEG": {"L", "RGB", "CMYK"}, "WEBP": {"RGB", "RGBA"}}
QUALITY = 85
# Image data, not metadata: the colour profile and a palette's transparent colour.
KEPT_INFO = ("icc_profile", "transparency")
# Pillow errors for damaged data; bad input is a 4xx, never a 500.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, IndexError, TypeError, EOFError, struct.error)


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    thumbnail: bytes
    extension: str


def clean_photo(upload: IO[bytes], *, size: int, max_bytes: int, max_pixels: int, thumbnail_px: int) -> CleanImage:
    if size > max_bytes:
        raise TooLarge("the photo is too large", code="photo_too_large", max_bytes=max_bytes, size=size)
    image, fmt = _open_verified(upload, max_pixels=max_pixels)
    try:
        image = ImageOps.exif_transpose(image)
    except DECODE_ERRORS as exc:  # a malformed EXIF block
        raise ValidationFailed("the photo could not be decoded", photo="damaged image metadata") from exc
    # Everything else goes: EXIF (GPS, camera serial), XMP, comments, text chunks.
    image.info = {key: image.info[key] for key in KEPT_INFO if key in image.info}
    thumbnail = image.copy()
    thumbnail.thumbnail((thumbnail_px, thumbnail_px))
    return CleanImage(content=_encode(image, fmt), thumbnail=_encode(thumbnail, fmt), extension=FORMATS[fmt])


def _open_verified(upload: IO[bytes], *, max_pixels: int) -> tuple[Image.Image, str]:
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below is stricter than the threshold of Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            upload.seek(0)
            probe = Image.open(upload, formats=list(FORMATS))
            # Phones write multi-picture JPEGs, which Pillow reports as MPO: the first picture is the photo.
            fmt = "JPEG" if probe.format == "MPO" else str(probe.format)
            width, height = probe.size
            if width * height > max_pixels:
                raise ValidationFailed(
                    "the photo has too many pixels", photo=f"at most {max_pixels} pixels", width=width, height=height
                )
            probe.verify()  # structure and checksums, without decoding the pixels
            upload.seek(0)
            image = Image.open(upload, formats=[fmt])  # verify() leaves the probe unusable
            image.load()
    except Image.DecompressionBombError as exc:
        raise ValidationFailed("the photo has too many pixels", photo=f"at most {max_pixels} pixels") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedMedia("the photo must be a JPEG, PNG or WebP image", code="unsupported_image") from exc
    except DECODE_ERRORS as exc:  # truncated or corrupt data
        raise ValidationFailed("the photo could not be decoded", photo="damaged or truncated image") from exc
    return image, fmt


def _encode(image: Image.Image, fmt: str) -> bytes:
    modes = ENCODABLE_MODES.get(fmt)
    if modes is not None and image.mode not in modes:
        image = image.convert("RGBA" if fmt == "WEBP" and image.has_transparency_data else "RGB")
    options: dict[str, object] = {"quality": QUALITY} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
