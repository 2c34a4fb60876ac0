"""Decode an uploaded JPEG or PNG, normalise it and re-encode it at a fixed size.

The type is decided by decoding the bytes. The file name and the declared
content type play no part. The output is 8-bit sRGB with no metadata: a JPEG,
or a PNG with an alpha channel when the source has transparent pixels, so that
transparency is kept instead of being flattened onto a colour. The same input
always produces the same bytes.

Everything here is synchronous CPU work: call it through ``run_in_executor``.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageCms, ImageMath, UnidentifiedImageError

from core.errors import InvalidInput, UnsupportedMediaType

logger = logging.getLogger(__name__)

#: JPEG quality of stored images: visually lossless for photos at these sizes.
JPEG_QUALITY = 85

#: Output sizes are at least this factor smaller than a JPEG's DCT-scaled
#: draft, so that scaling in the decoder does not cost visible sharpness.
DRAFT_OVERSAMPLING = 2

#: Passed to ``Image.resize``: shrink by an integer factor first while the
#: image stays at least this many times larger than the target.
REDUCING_GAP = 3.0

#: Pillow formats accepted. ``MPO`` is the multi-picture JPEG that cameras write.
ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"

#: Leading bytes of formats that uploads commonly arrive in, for error messages.
_KNOWN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"<?php", "a PHP script"),
    (b"\x00\x00\x01\x00", "an ICO image"),
)

#: EXIF orientation value -> transpose that displays the image upright.
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION_TAG = 0x0112

#: Errors Pillow raises on corrupt or truncated image data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)

#: Image mode -> ICC colour space signature that its profile must declare.
_ICC_COLOR_SPACE = {"RGB": "RGB", "RGBA": "RGB", "CMYK": "CMYK"}

_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class ImageSpec:
    """Target of one kind of profile image: its exact size in pixels."""

    kind: str
    width: int
    height: int


AVATAR = ImageSpec("avatar", 256, 256)
BANNER = ImageSpec("banner", 1920, 480)


@dataclass(frozen=True)
class ProcessedImage:
    """Encoded output image."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def process_image(data: bytes, spec: ImageSpec, *, max_pixels: int) -> ProcessedImage:
    """Decode ``data``, scale it to cover ``spec``, centre-crop and re-encode.

    Raises ``UnsupportedMediaType`` when the bytes are not a JPEG or PNG and
    ``InvalidInput`` when they are empty, corrupt, truncated or declare more
    than ``max_pixels`` pixels. The pixel count is checked from the header,
    before any pixel data is decoded.
    """
    image = _open(data, max_pixels)
    width, height = image.size
    if width * height > max_pixels:
        raise InvalidInput(
            f"image is {width}x{height} = {width * height} pixels, above the "
            f"maximum of {max_pixels} pixels; upload a smaller image"
        )

    orientation = _read_orientation(image)
    target = (spec.width, spec.height)
    if orientation in (5, 6, 7, 8):
        # The decoded image is rotated by a quarter turn from how it displays.
        target = (spec.height, spec.width)
    if image.format in ("JPEG", "MPO"):
        image.draft(
            image.mode,
            (target[0] * DRAFT_OVERSAMPLING, target[1] * DRAFT_OVERSAMPLING),
        )

    try:
        image.load()
    except _DECODE_ERRORS as err:
        raise InvalidInput(
            f"image data is truncated or corrupt ({err}); upload the file again "
            "or re-save it as JPEG or PNG"
        ) from err

    if orientation in _ORIENTATION_TRANSPOSE:
        image = image.transpose(_ORIENTATION_TRANSPOSE[orientation])
    image = _to_srgb(image)
    image = _cover_crop(image, spec.width, spec.height)
    return _encode(image)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    if not data:
        raise InvalidInput("file is empty; upload a JPEG or PNG image")
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
    except UnidentifiedImageError as err:
        if data.startswith((_PNG_SIGNATURE, _JPEG_SIGNATURE)):
            raise InvalidInput(
                "image header is corrupt: the file starts like a JPEG or PNG "
                "but cannot be read; re-save the image as JPEG or PNG"
            ) from err
        raise UnsupportedMediaType(
            f"file is {_describe(data)}, not a JPEG or PNG image; upload a JPEG or PNG"
        ) from err
    except Image.DecompressionBombError as err:
        # Pillow's own bound, twice Image.MAX_IMAGE_PIXELS, checked from the header.
        raise InvalidInput(
            f"image is above the maximum of {max_pixels} pixels ({err}); "
            "upload a smaller image"
        ) from err
    except _DECODE_ERRORS as err:
        # The signature matched but the header that follows is broken.
        raise InvalidInput(
            f"image header is corrupt ({err}); re-save the image as JPEG or PNG"
        ) from err
    if image.format not in ACCEPTED_FORMATS:
        raise UnsupportedMediaType(
            f"file is a {image.format} image; upload a JPEG or PNG"
        )
    return image


def _describe(data: bytes) -> str:
    """Name the likely format of bytes that Pillow did not accept."""
    head = data[:512]
    for signature, name in _KNOWN_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[4:8] == b"ftyp":
        return "an HEIF, AVIF or MP4 file"
    text = head.lstrip().lower()
    if b"<svg" in text or (text.startswith(b"<?xml") and b"svg" in text):
        return "an SVG image"
    if b"<?php" in text:
        return "a PHP script"
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML document"
    return "of an unrecognised type"


def _read_orientation(image: Image.Image) -> int:
    """Return the EXIF orientation (1 to 8), or 1 when it is missing or unreadable."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except (*_DECODE_ERRORS, KeyError, TypeError) as err:
        logger.info("Ignoring unreadable EXIF block: error=%s", err)
        return 1
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    return 1


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert any decoded mode to 8-bit RGB, or RGBA if some pixel is transparent."""
    if image.mode == "CMYK" and "adobe" not in image.info:
        # Pillow decodes every CMYK JPEG as Adobe-inverted. Without Adobe's
        # APP14 marker the samples are stored plain, so undo that inversion.
        image = ImageChops.invert(image)

    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # 16-bit greyscale PNG: scale 0..65535 to 0..255. A plain convert("L")
        # would clip every value above 255 to white.
        transparency = image.info.get("transparency")
        wide = image.convert("I")
        image = ImageMath.lambda_eval(
            lambda channels: channels["grey"] / 256, grey=wide
        )
        image = image.convert("L")
        if isinstance(transparency, int):
            # The tRNS key is a 16-bit grey value, so match it before scaling.
            alpha = ImageMath.lambda_eval(
                lambda channels: (channels["grey"] != transparency) * 255, grey=wide
            )
            image = Image.merge("LA", (image, alpha.convert("L")))

    image = _apply_icc_profile(image)

    has_alpha = image.mode in ("RGBA", "LA", "PA") or ("transparency" in image.info)
    if not has_alpha:
        return image.convert("RGB") if image.mode != "RGB" else image

    rgba = image.convert("RGBA")
    alpha_min, _ = rgba.getchannel("A").getextrema()
    if alpha_min == 255:
        # An alpha channel with no transparent pixel: store it as a JPEG.
        return rgba.convert("RGB")
    return rgba


def _apply_icc_profile(image: Image.Image) -> Image.Image:
    """Convert RGB, RGBA and CMYK images with an embedded ICC profile to sRGB."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in _ICC_COLOR_SPACE:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        color_space = profile.profile.xcolor_space.strip()
        if color_space != _ICC_COLOR_SPACE[image.mode]:
            return image
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image, profile, _SRGB_PROFILE, outputMode=output_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as err:
        logger.info("Ignoring unusable ICC profile: mode=%s error=%s", image.mode, err)
        return image
    assert converted is not None
    return converted


def cover_box(
    source: tuple[int, int], target: tuple[int, int]
) -> tuple[float, float, float, float]:
    """Return the centred source box with the target's aspect ratio.

    Scaling that box to the target fills it completely ("cover") without
    changing the aspect ratio; whatever lies outside the box is cropped.
    """
    source_width, source_height = source
    target_width, target_height = target
    scale = max(target_width / source_width, target_height / source_height)
    box_width = target_width / scale
    box_height = target_height / scale
    left = (source_width - box_width) / 2
    top = (source_height - box_height) / 2
    return (left, top, left + box_width, top + box_height)


def _cover_crop(image: Image.Image, width: int, height: int) -> Image.Image:
    box = cover_box(image.size, (width, height))
    # Pillow resizes RGBA in premultiplied form, so transparent pixels
    # contribute no colour to the edges of opaque ones.
    return image.resize(
        (width, height),
        Image.Resampling.LANCZOS,
        box=box,
        reducing_gap=REDUCING_GAP,
    )


def _encode(image: Image.Image) -> ProcessedImage:
    # Pillow's encoders copy EXIF, ICC profiles, comments and DPI from
    # ``info`` unless told otherwise. An empty ``info`` writes none of them.
    image.info = {}
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, format="PNG", compress_level=6)
        content_type, extension = "image/png", "png"
    else:
        image.save(
            buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True
        )
        content_type, extension = "image/jpeg", "jpg"
    return ProcessedImage(
        data=buffer.getvalue(),
        content_type=content_type,
        extension=extension,
        width=image.width,
        height=image.height,
    )
