"""Image files for the photo tests, made with Pillow: plain ones, and a phone-like JPEG with GPS and rotation."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

# Somewhere on Praia do Futuro, Fortaleza: what must never leave the server.
GPS_LATITUDE = (3.0, 44.0, 30.0)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), mode: str = "RGB", **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "green").save(buffer, format=fmt, **save)
    return buffer.getvalue()


def phone_jpeg(size: tuple[int, int] = (120, 60), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: camera make, GPS position, an orientation tag and a comment."""
    exif = Image.Exif()
    exif[Base.Make] = "PhoneMaker"
    exif[Base.Model] = "Phone 12"
    exif[Base.Orientation] = orientation
    exif.get_ifd(IFD.GPSInfo).update(
        {
            GPS.GPSLatitudeRef: "S",
            GPS.GPSLatitude: GPS_LATITUDE,
            GPS.GPSLongitudeRef: "W",
            GPS.GPSLongitude: (38.0, 27.0, 10.0),
        }
    )
    return image_bytes("JPEG", size, exif=exif.tobytes(), comment=b"shot at home")


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def metadata_of(content: bytes) -> dict[str, object]:
    """What a reader of the stored file could learn besides the pixels."""
    with Image.open(io.BytesIO(content)) as image:
        exif = image.getexif()
        return {
            "exif_tags": dict(exif),
            "gps": dict(exif.get_ifd(IFD.GPSInfo)),
            "info_keys": sorted(set(image.info) - {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}),
            "raw_exif": b"Exif" in content[:65536] or b"GPS" in content,
        }


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims the given size (CRC fixed up): what a decompression bomb looks like."""
    content = bytearray(image_bytes("PNG", size=(1, 1)))
    ihdr = content.index(b"IHDR")
    content[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    content[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(content[ihdr : ihdr + 17])))
    return bytes(content)
