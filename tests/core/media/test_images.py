from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, features

from core.errors import InvalidInput, UnsupportedMediaType
from core.media.images import AVATAR, BANNER, ProcessedImage, cover_box, process_image
from tests.core.media import samples
from tests.core.media.samples import BLUE, GREEN, RED, WHITE, YELLOW

MAX_PIXELS = 40_000_000


def process(data: bytes, spec=AVATAR, max_pixels: int = MAX_PIXELS) -> ProcessedImage:
    return process_image(data, spec, max_pixels=max_pixels)


def decode(result: ProcessedImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.data))
    image.load()
    return image


def assert_color(
    image: Image.Image,
    xy: tuple[int, int],
    expected: tuple[int, ...],
    tolerance: int = 40,
) -> None:
    actual = image.getpixel(xy)
    assert isinstance(actual, tuple)
    assert len(actual) == len(expected), f"pixel {xy} is {actual}, expected {expected}"
    difference = max(abs(a - e) for a, e in zip(actual, expected, strict=True))
    assert difference <= tolerance, f"pixel {xy} is {actual}, expected {expected}"


# Sizes and cropping


def test_avatar_is_exactly_256_square() -> None:
    result = process(samples.encode(samples.photo(1200, 700), "JPEG"))

    image = decode(result)
    assert image.size == (256, 256)
    assert (result.width, result.height) == (256, 256)
    assert image.format == "JPEG"
    assert result.content_type == "image/jpeg"
    assert image.mode == "RGB"


def test_banner_is_exactly_1920_by_480() -> None:
    result = process(samples.encode(samples.photo(700, 900), "PNG"), BANNER)

    image = decode(result)
    assert image.size == (1920, 480)


def test_avatar_crops_centre_without_stretching() -> None:
    # 1024x512 source: the centred 512x512 box (x 256..768) becomes the
    # avatar at half scale. Stretching would show the green outer columns.
    source = Image.new("RGB", (1024, 512), GREEN)
    draw = ImageDraw.Draw(source)
    draw.rectangle((256, 0, 383, 511), fill=RED)
    draw.rectangle((384, 0, 639, 511), fill=WHITE)
    draw.rectangle((640, 0, 767, 511), fill=BLUE)

    image = decode(process(samples.encode(source, "PNG")))

    assert_color(image, (4, 128), RED)
    assert_color(image, (40, 10), RED)
    assert_color(image, (128, 128), WHITE)
    assert_color(image, (220, 245), BLUE)
    assert_color(image, (251, 128), BLUE)


def test_banner_crops_centre_without_stretching() -> None:
    # 1600x1600 source scaled by 1.2: the rows 600..1000 become the banner.
    source = Image.new("RGB", (1600, 1600), GREEN)
    draw = ImageDraw.Draw(source)
    draw.rectangle((0, 600, 799, 999), fill=RED)
    draw.rectangle((800, 600, 1599, 999), fill=BLUE)

    image = decode(process(samples.encode(source, "PNG"), BANNER))

    assert_color(image, (100, 4), RED)
    assert_color(image, (100, 475), RED)
    assert_color(image, (900, 240), RED)
    assert_color(image, (1020, 240), BLUE)
    assert_color(image, (1915, 475), BLUE)


def test_cover_box_keeps_target_aspect() -> None:
    assert cover_box((1024, 512), (256, 256)) == (256.0, 0.0, 768.0, 512.0)
    assert cover_box((1600, 1600), (1920, 480)) == pytest.approx(
        (0.0, 600.0, 1600.0, 1000.0)
    )
    assert cover_box((100, 50), (1920, 480)) == pytest.approx((0.0, 12.5, 100.0, 37.5))


def test_small_source_is_scaled_up() -> None:
    image = decode(process(samples.encode(samples.quadrants(40, 10), "PNG"), BANNER))

    assert image.size == (1920, 480)
    assert_color(image, (400, 100), RED)
    assert_color(image, (1500, 400), YELLOW)


# EXIF orientation


@pytest.mark.parametrize(
    ("orientation", "stored_transpose"),
    [
        # The stored pixels are the upright picture turned the opposite way.
        (6, Image.Transpose.ROTATE_90),
        (8, Image.Transpose.ROTATE_270),
        (3, Image.Transpose.ROTATE_180),
    ],
)
def test_exif_orientation_is_applied(
    orientation: int, stored_transpose: Image.Transpose
) -> None:
    upright = samples.quadrants(1200, 300)
    stored = upright.transpose(stored_transpose)
    data = samples.encode(
        stored, "JPEG", quality=95, exif=samples.exif_bytes(orientation)
    )

    image = decode(process(data, BANNER))

    assert image.size == (1920, 480)
    assert_color(image, (480, 120), RED)
    assert_color(image, (1440, 120), GREEN)
    assert_color(image, (480, 360), BLUE)
    assert_color(image, (1440, 360), YELLOW)


def test_exif_orientation_6_on_avatar() -> None:
    # Upright 600x300; the avatar is its centred 300x300 square.
    upright = samples.quadrants(600, 300)
    data = samples.encode(
        upright.transpose(Image.Transpose.ROTATE_90),
        "JPEG",
        quality=95,
        exif=samples.exif_bytes(6),
    )

    image = decode(process(data))

    assert_color(image, (64, 64), RED)
    assert_color(image, (192, 64), GREEN)
    assert_color(image, (64, 192), BLUE)
    assert_color(image, (192, 192), YELLOW)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_unreadable_exif_is_ignored() -> None:
    source = samples.quadrants(512, 512)
    data = samples.encode(
        source, "JPEG", quality=95, exif=b"Exif\x00\x00MM\x00*garbage"
    )

    image = decode(process(data))

    assert_color(image, (64, 64), RED)


# Metadata


def test_jpeg_metadata_is_stripped() -> None:
    data = samples.jpeg_with_metadata(samples.photo(800, 600))
    assert samples.SECRET_COMMENT in data

    result = process(data)
    image = decode(result)

    assert len(image.getexif()) == 0
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert "comment" not in image.info
    assert "xmp" not in image.info
    assert b"Exif" not in result.data
    assert b"ICC_PROFILE" not in result.data
    assert b"CameraMaker" not in result.data
    assert samples.SECRET_COMMENT not in result.data
    assert b"xmpmeta" not in result.data


def test_png_metadata_is_stripped() -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", samples.SECRET_COMMENT.decode())
    text.add_itxt("Author", "someone", zip=True)
    source = samples.quadrants(300, 300).convert("RGBA")
    source.putpixel((0, 0), (0, 0, 0, 0))
    data = samples.encode(
        source,
        "PNG",
        pnginfo=text,
        exif=samples.exif_bytes(1, with_gps=True),
        icc_profile=samples.srgb_icc_bytes(),
    )

    result = process(data)
    image = decode(result)

    assert image.format == "PNG"
    assert image.info.keys() <= {"dpi"}
    assert len(image.getexif()) == 0
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"pHYs"):
        assert chunk not in result.data


def test_php_in_jpeg_comment_is_dropped() -> None:
    data = samples.encode(samples.photo(300, 300), "JPEG", comment=samples.PHP_SCRIPT)

    result = process(data)

    assert b"<?php" not in result.data


def test_output_is_deterministic() -> None:
    data = samples.jpeg_with_metadata(samples.photo(900, 700))

    first = process(data, BANNER)
    second = process(data, BANNER)

    assert first.data == second.data


# Modes


def test_grayscale_jpeg_becomes_rgb() -> None:
    image = decode(process(samples.encode(Image.new("L", (300, 300), 128), "JPEG")))

    assert image.mode == "RGB"
    assert_color(image, (128, 128), (128, 128, 128), tolerance=3)


def test_bilevel_png_becomes_rgb() -> None:
    source = Image.new("1", (300, 300), 0)
    ImageDraw.Draw(source).rectangle((150, 0, 299, 299), fill=1)

    image = decode(process(samples.encode(source, "PNG")))

    assert image.mode == "RGB"
    assert_color(image, (20, 128), (0, 0, 0))
    assert_color(image, (235, 128), WHITE)


def test_palette_png_without_transparency() -> None:
    source = samples.quadrants(300, 300).convert("P")

    result = process(samples.encode(source, "PNG"))
    image = decode(result)

    assert result.content_type == "image/jpeg"
    assert_color(image, (64, 64), RED)
    assert_color(image, (192, 192), YELLOW)


def test_palette_png_keeps_transparency() -> None:
    source = Image.new("P", (300, 300), 0)
    source.putpalette([0, 0, 0, 255, 0, 0])
    ImageDraw.Draw(source).rectangle((150, 0, 299, 299), fill=1)
    data = samples.encode(source, "PNG", transparency=0)

    result = process(data)
    image = decode(result)

    assert result.content_type == "image/png"
    assert image.mode == "RGBA"
    assert image.getpixel((20, 128))[3] == 0
    assert_color(image, (235, 128), (255, 0, 0, 255), tolerance=2)
    # The half-transparent pixels on the edge are red, not darkened by the
    # black colour behind the transparent palette entry.
    for x in range(120, 136):
        red, green, blue, alpha = image.getpixel((x, 128))
        if alpha > 8:
            assert red > 200, f"x={x}: {(red, green, blue, alpha)}"
            assert green < 30, f"x={x}: {(red, green, blue, alpha)}"
            assert blue < 30, f"x={x}: {(red, green, blue, alpha)}"


def test_rgba_png_keeps_transparency() -> None:
    source = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(source).ellipse((100, 100, 299, 299), fill=(0, 0, 255, 255))

    image = decode(process(samples.encode(source, "PNG")))

    assert image.mode == "RGBA"
    assert image.getpixel((5, 5)) == (0, 0, 0, 0)
    assert_color(image, (128, 128), (0, 0, 255, 255), tolerance=2)


def test_opaque_rgba_png_becomes_jpeg() -> None:
    source = samples.quadrants(300, 300).convert("RGBA")

    result = process(samples.encode(source, "PNG"))

    assert result.content_type == "image/jpeg"
    assert decode(result).mode == "RGB"


def test_grayscale_alpha_png() -> None:
    source = Image.new("LA", (300, 300), (200, 0))
    ImageDraw.Draw(source).rectangle((150, 0, 299, 299), fill=(90, 255))

    image = decode(process(samples.encode(source, "PNG")))

    assert image.mode == "RGBA"
    assert image.getpixel((20, 128))[3] == 0
    assert_color(image, (235, 128), (90, 90, 90, 255), tolerance=2)


def test_rgb_png_with_transparent_colour_key() -> None:
    source = Image.new("RGB", (300, 300), (0, 0, 0))
    ImageDraw.Draw(source).rectangle((150, 0, 299, 299), fill=GREEN)
    data = samples.encode(source, "PNG", transparency=(0, 0, 0))

    image = decode(process(data))

    assert image.mode == "RGBA"
    assert image.getpixel((20, 128))[3] == 0
    assert_color(image, (235, 128), (0, 255, 0, 255), tolerance=2)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [(65535, 255), (32768, 128), (40000, 156), (0, 0)],
)
def test_16bit_grayscale_png_is_scaled(sample: int, expected: int) -> None:
    data = samples.png_16bit(300, 300, (sample,))
    assert Image.open(io.BytesIO(data)).mode.startswith("I")

    image = decode(process(data))

    assert image.mode == "RGB"
    assert_color(image, (128, 128), (expected,) * 3, tolerance=2)


def test_16bit_grayscale_transparent_key() -> None:
    # 1000 is no multiple of 256, so the key only matches at 16 bits.
    data = samples.png_16bit(
        300, 300, (50_000,), left_pixel=(1000,), transparent_grey=1000
    )

    result = process(data)
    image = decode(result)

    assert result.content_type == "image/png"
    assert image.mode == "RGBA"
    assert image.getpixel((20, 128))[3] == 0
    assert_color(image, (235, 128), (195, 195, 195, 255), tolerance=2)


def test_16bit_rgb_png() -> None:
    data = samples.png_16bit(300, 300, (0xFFFF, 0x8000, 0x0000))

    image = decode(process(data))

    assert_color(image, (128, 128), (255, 128, 0), tolerance=3)


def test_16bit_rgba_png() -> None:
    data = samples.png_16bit(300, 300, (0x0000, 0x0000, 0xFFFF, 0x8000))

    image = decode(process(data))

    assert image.mode == "RGBA"
    assert_color(image, (128, 128), (0, 0, 255, 128), tolerance=2)


@pytest.mark.parametrize("adobe_marker", [True, False])
def test_cmyk_jpeg_colours_are_not_inverted(adobe_marker: bool) -> None:
    # Pure magenta + yellow is red in CMYK.
    data = samples.cmyk_jpeg((0, 255, 255, 0), adobe_marker=adobe_marker)
    assert (b"Adobe" in data) is adobe_marker
    assert Image.open(io.BytesIO(data)).mode == "CMYK"

    result = process(data)
    image = decode(result)

    assert result.content_type == "image/jpeg"
    assert image.mode == "RGB"
    assert_color(image, (128, 128), RED)


def test_icc_profile_is_applied_then_dropped() -> None:
    data = samples.encode(
        Image.new("RGB", (300, 300), (30, 120, 200)),
        "JPEG",
        quality=95,
        icc_profile=samples.srgb_icc_bytes(),
    )

    result = process(data)
    image = decode(result)

    assert "icc_profile" not in image.info
    assert_color(image, (128, 128), (30, 120, 200), tolerance=4)


def test_multi_picture_jpeg_is_accepted() -> None:
    frames = [samples.quadrants(400, 400), Image.new("RGB", (400, 400), WHITE)]
    data = samples.encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    image = decode(process(data))

    assert_color(image, (64, 64), RED)


# Hostile files


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (samples.PHP_SCRIPT, "PHP script"),
        (samples.SVG_IMAGE, "SVG image"),
        (samples.encode(Image.new("RGB", (32, 32), RED), "GIF"), "GIF image"),
        (samples.encode(Image.new("RGB", (32, 32), RED), "BMP"), "BMP image"),
        (samples.encode(Image.new("RGB", (32, 32), RED), "TIFF"), "TIFF image"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML document"),
        (b"just some text", "unrecognised type"),
    ],
)
def test_impostor_is_unsupported(data: bytes, named: str) -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        process(data)

    assert named in raised.value.detail
    assert "JPEG or PNG" in raised.value.detail


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_webp_is_unsupported() -> None:
    data = samples.encode(Image.new("RGB", (32, 32), RED), "WEBP")

    with pytest.raises(UnsupportedMediaType, match="WebP image"):
        process(data)


def test_empty_file_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="file is empty"):
        process(b"")


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_jpeg_is_invalid(keep: float) -> None:
    data = samples.encode(samples.photo(800, 600), "JPEG", quality=90)

    with pytest.raises(InvalidInput, match="truncated or corrupt"):
        process(data[: int(len(data) * keep)])


def test_truncated_png_is_invalid() -> None:
    data = samples.encode(samples.photo(400, 400), "PNG")

    with pytest.raises(InvalidInput, match="truncated or corrupt"):
        process(data[: len(data) // 2])


def test_broken_png_header_is_invalid() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40

    with pytest.raises(InvalidInput, match="corrupt"):
        process(data)


# Decompression bombs


def test_png_bomb_rejected_from_header() -> None:
    # The pixel data is missing: a full decode would fail as truncated, so the
    # pixel-count message shows that the header alone was enough.
    data = samples.png_header_bomb(10_000, 5_000)

    with pytest.raises(
        InvalidInput,
        match="10000x5000 = 50000000 pixels, above the maximum of 40000000",
    ):
        process(data)


def test_jpeg_bomb_rejected_from_header() -> None:
    data = samples.jpeg_with_declared_size(
        samples.encode(Image.new("RGB", (16, 16)), "JPEG"), 8_000, 6_000
    )

    with pytest.raises(InvalidInput, match="8000x6000 = 48000000 pixels"):
        process(data)


def test_pixel_limit_is_inclusive() -> None:
    source = Image.new("1", (3000, 2000), 1)
    data = samples.encode(source, "PNG")
    assert len(data) < 10_000

    assert process(data, max_pixels=6_000_000).width == 256
    with pytest.raises(InvalidInput, match="3000x2000 = 6000000 pixels"):
        process(data, max_pixels=5_999_999)


@pytest.mark.parametrize("max_pixels", [MAX_PIXELS, 10**10])
def test_bomb_above_pillow_limit_is_invalid(max_pixels: int) -> None:
    # Above twice Image.MAX_IMAGE_PIXELS Pillow refuses to open the file itself.
    data = samples.png_header_bomb(100_000, 100_000)

    with pytest.raises(InvalidInput, match=f"above the maximum of {max_pixels} pixels"):
        process(data, max_pixels=max_pixels)
