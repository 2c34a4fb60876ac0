"""Images built in memory for the media tests, including hostile ones."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms, ImageDraw

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)
WHITE = (255, 255, 255)

SECRET_COMMENT = b"comment-that-must-not-survive"
PHP_SCRIPT = b"<?php system($_GET['cmd']); ?>\n"
SVG_IMAGE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)


def encode(image: Image.Image, format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **params)
    return buffer.getvalue()


def quadrants(width: int, height: int) -> Image.Image:
    """An RGB image whose quadrants are red, green (top) and blue, yellow (bottom)."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    half_width, half_height = width // 2, height // 2
    draw.rectangle((0, 0, half_width - 1, half_height - 1), fill=RED)
    draw.rectangle((half_width, 0, width - 1, half_height - 1), fill=GREEN)
    draw.rectangle((0, half_height, half_width - 1, height - 1), fill=BLUE)
    draw.rectangle((half_width, half_height, width - 1, height - 1), fill=YELLOW)
    return image


def exif_bytes(orientation: int | None = None, *, with_gps: bool = False) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    if with_gps:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"  # GPSLatitudeRef
        gps[2] = (48.0, 51.0, 29.0)  # GPSLatitude
        gps[3] = "E"
        gps[4] = (2.0, 17.0, 40.0)
    return exif.tobytes()


def srgb_icc_bytes() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_metadata(image: Image.Image) -> bytes:
    """A JPEG carrying EXIF with GPS, an ICC profile, a comment and XMP."""
    return encode(
        image,
        "JPEG",
        quality=95,
        exif=exif_bytes(with_gps=True),
        icc_profile=srgb_icc_bytes(),
        comment=SECRET_COMMENT,
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>creator</x:xmpmeta>",
    )


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_16bit(
    width: int,
    height: int,
    pixel: tuple[int, ...],
    *,
    left_pixel: tuple[int, ...] | None = None,
    transparent_grey: int | None = None,
) -> bytes:
    """A PNG of 16-bit samples: 3 give RGB, 4 give RGBA, 1 gives grey.

    ``left_pixel`` colours the left half; ``transparent_grey`` adds a tRNS key.
    """
    color_type = {1: 0, 3: 2, 4: 6}[len(pixel)]
    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    left = left_pixel or pixel
    half = width // 2
    row = (
        b"\x00"
        + struct.pack(f">{len(left)}H", *left) * half
        + struct.pack(f">{len(pixel)}H", *pixel) * (width - half)
    )
    chunks = [png_chunk(b"IHDR", header)]
    if transparent_grey is not None:
        chunks.append(png_chunk(b"tRNS", struct.pack(">H", transparent_grey)))
    chunks.append(png_chunk(b"IDAT", zlib.compress(row * height)))
    chunks.append(png_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def png_header_bomb(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but carries almost no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg_with_declared_size(data: bytes, width: int, height: int) -> bytes:
    """Rewrite the frame header (SOF) of a baseline or progressive JPEG."""
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        index = data.find(marker)
        if index != -1:
            size = struct.pack(">HH", height, width)
            return data[: index + 5] + size + data[index + 9 :]
    raise ValueError("no SOF0 or SOF2 marker in the JPEG")


def strip_jpeg_segment(data: bytes, marker: int, prefix: bytes) -> bytes:
    """Remove every segment with ``marker`` whose payload starts with ``prefix``."""
    output = bytearray(data[:2])
    position = 2
    while position < len(data):
        segment_marker = data[position + 1]
        if segment_marker == 0xDA:  # start of scan: the rest is entropy-coded data
            output += data[position:]
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segment = data[position : position + 2 + length]
        if not (segment_marker == marker and segment[4:].startswith(prefix)):
            output += segment
        position += 2 + length
    return bytes(output)


def cmyk_jpeg(cmyk: tuple[int, int, int, int], *, adobe_marker: bool) -> bytes:
    """A CMYK JPEG of one colour, with or without Adobe's APP14 marker.

    Pillow writes CMYK JPEGs inverted, the Adobe way. For a plain file the
    colour is inverted before saving and the marker removed, so that the stored
    samples are the plain, non-inverted ``cmyk`` values.
    """
    if adobe_marker:
        return encode(Image.new("CMYK", (64, 64), cmyk), "JPEG", quality=95)
    inverted = tuple(255 - value for value in cmyk)
    data = encode(Image.new("CMYK", (64, 64), inverted), "JPEG", quality=95)
    return strip_jpeg_segment(data, 0xEE, b"Adobe")


def photo(width: int, height: int) -> Image.Image:
    """A noisy gradient that compresses about as badly as a real photo."""
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 64)
    return Image.merge(
        "RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
