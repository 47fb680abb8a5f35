"""Product images: check that an upload is a real image, and make its thumbnail.

Nothing here trusts the file name or the declared content type: Pillow identifies the format
from the bytes, the size is bounded before anything is decoded (bytes first, then pixels from the
header, so a decompression bomb is refused before it expands), and the stored names are generated.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from dinghuo.catalog.errors import ImageInvalid, ImageTooLarge, ImageTooManyPixels

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels: a 7,000 × 5,700 photo; far beyond any product shot
THUMBNAIL_SIZE = (240, 240)
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class PreparedImage:
    data: bytes  # the upload, as received (verified)
    extension: str  # from the detected format, never from the client's name
    width: int
    height: int
    thumbnail: bytes
    thumbnail_extension: str


def image_byte_limit() -> int:
    return min(getattr(settings, "DINGHUO_MAX_IMAGE_BYTES", MAX_IMAGE_BYTES), settings.DINGHUO_MAX_UPLOAD_BYTES)


def read_upload(source: bytes | IO[bytes], *, limit: int | None = None) -> bytes:
    """Read at most ``limit`` bytes; a longer upload is refused without reading it all."""
    limit = image_byte_limit() if limit is None else limit
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        size = getattr(source, "size", None)
        if isinstance(size, int) and size > limit:
            _too_large(size, limit)
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(limit + 1)
    if len(data) > limit:
        _too_large(len(data), limit)
    return data


def _too_large(size: int, limit: int) -> None:
    raise ImageTooLarge(size=f"{size / 1048576:.1f}", limit=f"{limit / 1048576:.0f}", detail={"image": f"{size} bytes"})


def prepare_image(source: bytes | IO[bytes]) -> PreparedImage:
    """Validate an upload as an image and render its ~240 px thumbnail (raises catalog errors)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    data = read_upload(source)
    if not data:
        raise ImageInvalid(detail={"image": "empty"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombWarning):
            raise ImageInvalid(detail={"image": "not an image"})
        except Image.DecompressionBombError:
            raise ImageTooManyPixels(width="?", height="?", limit=MAX_PIXELS // 1_000_000, detail={"image": "pixels"})
        if fmt not in FORMATS:
            raise ImageInvalid(detail={"image": str(fmt)})
        if width * height > MAX_PIXELS or width <= 0 or height <= 0:
            raise ImageTooManyPixels(
                width=width, height=height, limit=MAX_PIXELS // 1_000_000, detail={"image": f"{width}x{height}"}
            )
        try:
            probe.verify()  # structure and checksums, without decoding the pixels
            image = Image.open(io.BytesIO(data))
            image.load()  # the pixels decode too (a truncated file fails here)
        except Exception:  # Pillow raises many types for damaged files
            raise ImageInvalid(detail={"image": "damaged"})
    thumbnail, thumb_ext = _thumbnail(ImageOps.exif_transpose(image) or image)
    return PreparedImage(
        data=data,
        extension=FORMATS[fmt],
        width=width,
        height=height,
        thumbnail=thumbnail,
        thumbnail_extension=thumb_ext,
    )


def _thumbnail(image) -> tuple[bytes, str]:
    """PNG where there is transparency (logos), JPEG otherwise (photos)."""
    from PIL import Image

    image = image.copy()
    image.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        return out.getvalue(), "png"
    image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue(), "jpg"
