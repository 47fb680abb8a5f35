"""Product pictures for the demo, drawn locally with Pillow (never downloaded).

Each picture is a flat drawing of the package (bottle, can, carton, bag, jug) or the part
(bearing, bolt, nut, washer, seal) in the product's colour, with its short name in Chinese when a
CJK font is installed on the machine (Noto Sans CJK, WenQuanYi …); without one it is drawn without
text. ``render`` returns the JPEG bytes of the picture and of its ~240 px thumbnail.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = 480
THUMB = 240
BACKGROUND = (246, 247, 249)
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
_FONT_NAMES = ("NotoSansCJK", "NotoSansSC", "SourceHanSans", "wqy-microhei", "wqy-zenhei", "NotoSerifCJK")

SHAPES = ("bottle", "can", "box", "bag", "jug", "bearing", "bearing_open", "tapered", "bolt", "nut", "washer", "seal")


@dataclass(frozen=True)
class Picture:
    shape: str  # one of SHAPES
    label: str  # the short name drawn on the package, e.g. "无糖可乐"
    caption: str = ""  # a second, smaller line, e.g. "500ml"
    color: tuple[int, int, int] = (40, 120, 200)


@cache
def cjk_font_path() -> tuple[str, int] | None:
    """(file, face index) of an installed font with Simplified Chinese glyphs, or None."""
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(
                ["fc-list", ":lang=zh-cn", "-f", "%{file}|%{index}|%{family}|%{style}\n"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        faces = []
        for line in out.splitlines():
            parts = line.split("|")
            if len(parts) == 4 and parts[0] and parts[1].isdigit():
                family, style = parts[2], parts[3]
                rank = (
                    0 if "Sans CJK SC" in family and "Mono" not in family else 1 if "SC" in family else 2,
                    0 if "Bold" in style else 1,
                    0 if "Sans" in family else 1,
                )
                faces.append((rank, parts[0], int(parts[1])))
        if faces:
            _rank, path, index = min(faces)
            return path, index
    for directory in _FONT_DIRS:
        if not directory.is_dir():
            continue
        for name in _FONT_NAMES:
            found = sorted(p for p in directory.rglob(f"{name}*") if p.suffix.lower() in {".ttc", ".otf", ".ttf"})
            if found:
                return str(found[0]), 0
    return None


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | None:
    found = cjk_font_path()
    if found is None:
        return None
    path, index = found
    try:
        return ImageFont.truetype(path, size, index=index)
    except OSError:
        return None


def _shade(color: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    if factor >= 1:
        return tuple(int(c + (255 - c) * (factor - 1)) for c in color)  # type: ignore[return-value]
    return tuple(int(c * factor) for c in color)  # type: ignore[return-value]


def _text(draw: ImageDraw.ImageDraw, center: tuple[int, int], text: str, size: int, fill, width: int) -> None:
    """Centre ``text`` on ``center``, shrinking it to fit ``width``; nothing without a CJK font."""
    if not text:
        return
    while size >= 10:
        font = _font(size)
        if font is None:
            return
        if draw.textlength(text, font=font) <= width:
            break
        size -= 2
    draw.text(center, text, font=font, fill=fill, anchor="mm")


def _lines(label: str) -> list[str]:
    """One line for a short name; two for a long one, split at a space or in the middle."""
    if len(label) <= 6:
        return [label]
    if " " in label:
        head, _sep, tail = label.partition(" ")
        return [head, tail]
    half = (len(label) + 1) // 2
    return [label[:half], label[half:]]


def _vertical_label(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], pic: Picture) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(255, 255, 255))
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    lines = _lines(pic.label)
    if len(lines) == 1:
        _text(draw, (cx, cy - 12), lines[0], 34, pic.color, x1 - x0 - 12)
    else:
        _text(draw, (cx, cy - 30), lines[0], 28, pic.color, x1 - x0 - 12)
        _text(draw, (cx, cy + 2), lines[1], 28, pic.color, x1 - x0 - 12)
    _text(draw, (cx, cy + 34), pic.caption, 22, (90, 90, 90), x1 - x0 - 12)


def _bottle(draw: ImageDraw.ImageDraw, pic: Picture) -> None:
    c, dark = pic.color, _shade(pic.color, 0.7)
    draw.rounded_rectangle((212, 40, 268, 78), radius=6, fill=dark)  # cap
    draw.polygon([(218, 78), (262, 78), (318, 150), (162, 150)], fill=_shade(c, 1.35))  # shoulder
    draw.rounded_rectangle((150, 146, 330, 446), radius=30, fill=_shade(c, 1.35), outline=dark, width=3)
    _vertical_label(draw, (150, 206, 330, 346), pic)
    draw.rectangle((150, 200, 330, 206), fill=c)
    draw.rectangle((150, 346, 330, 352), fill=c)


def _can(draw: ImageDraw.ImageDraw, pic: Picture) -> None:
    c, dark = pic.color, _shade(pic.color, 0.7)
    draw.rectangle((140, 90, 340, 410), fill=c)
    draw.ellipse((140, 60, 340, 120), fill=(200, 203, 208), outline=(150, 150, 150), width=3)
    draw.ellipse((190, 75, 290, 105), outline=(150, 150, 150), width=3)
    draw.ellipse((140, 380, 340, 440), fill=dark)
    draw.rectangle((140, 90, 340, 410), fill=c)
    draw.rectangle((160, 96, 176, 404), fill=_shade(c, 1.3))  # highlight
    _vertical_label(draw, (176, 186, 324, 316), pic)


def _box(draw: ImageDraw.ImageDraw, pic: Picture) -> None:
    c, dark = pic.color, _shade(pic.color, 0.7)
    draw.polygon([(150, 90), (330, 90), (300, 50), (180, 50)], fill=_shade(c, 1.2))  # top seam
    draw.rectangle((288, 22, 300, 60), fill=(230, 230, 230))  # straw
    draw.rectangle((150, 90, 330, 440), fill=c, outline=dark, width=3)
    _vertical_label(draw, (162, 186, 318, 316), pic)


def _bag(draw: ImageDraw.ImageDraw, pic: Picture) -> None:
    c, dark = pic.color, _shade(pic.color, 0.7)
    draw.polygon([(110, 70), (370, 70), (390, 420), (90, 420)], fill=c, outline=dark)
    for x in range(110, 371, 12):
        draw.polygon([(x, 70), (x + 6, 58), (x + 12, 70)], fill=c)  # serrated edge
    _vertical_label(draw, (130, 176, 350, 306), pic)


def _jug(draw: ImageDraw.ImageDraw, pic: Picture) -> None:
    c, dark = pic.color, _shade(pic.color, 0.7)
    draw.rounded_rectangle((205, 40, 275, 80), radius=8, fill=dark)
    draw.rounded_rectangle((290, 110, 370, 200), radius=20, outline=_shade(c, 1.2), width=14)  # handle
    draw.rounded_rectangle((110, 78, 370, 450), radius=40, fill=_shade(c, 1.5), outline=dark, width=3)
    _vertical_label(draw, (130, 206, 350, 336), pic)


def _bearing(draw: ImageDraw.ImageDraw, pic: Picture, *, kind: str) -> None:
    """kind: "sealed" (the seal in the picture's colour), "open" (balls in a cage), "tapered" (rollers)."""
    steel, dark = (188, 194, 202), (110, 116, 126)
    cx, cy = SIZE // 2, 210
    draw.ellipse((cx - 170, cy - 170, cx + 170, cy + 170), fill=steel, outline=dark, width=4)
    if kind == "sealed":
        draw.ellipse((cx - 140, cy - 140, cx + 140, cy + 140), fill=pic.color)
    else:
        draw.ellipse((cx - 140, cy - 140, cx + 140, cy + 140), fill=(70, 74, 82))
        for i in range(12):
            angle = math.radians(i * 30)
            x, y = cx + 118 * math.cos(angle), cy + 118 * math.sin(angle)
            if kind == "tapered":  # a roller seen end-on: a short bar along the radius
                (cos, sin), (half_l, half_w) = (math.cos(angle), math.sin(angle)), (22, 11)
                corners = [
                    (x + a * half_l * cos - b * half_w * sin, y + a * half_l * sin + b * half_w * cos)
                    for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))
                ]
                draw.polygon(corners, fill=(226, 229, 234), outline=dark)
            else:
                draw.ellipse((x - 19, y - 19, x + 19, y + 19), fill=(226, 229, 234), outline=dark)
    draw.ellipse((cx - 95, cy - 95, cx + 95, cy + 95), fill=steel, outline=dark, width=4)
    draw.ellipse((cx - 68, cy - 68, cx + 68, cy + 68), fill=BACKGROUND, outline=dark, width=3)
    _text(draw, (cx, 430), pic.label, 40, (50, 55, 65), SIZE - 40)


def _bolt(draw: ImageDraw.ImageDraw, pic: Picture) -> None:
    steel, dark = pic.color, _shade(pic.color, 0.6)
    draw.rectangle((60, 130, 150, 270), fill=steel, outline=dark, width=3)  # the head, seen from the side
    draw.rectangle((60, 165, 150, 235), fill=_shade(steel, 1.2))
    draw.rectangle((150, 172, 430, 228), fill=steel, outline=dark, width=2)
    for x in range(250, 428, 12):
        draw.line((x, 172, x + 8, 228), fill=dark, width=2)
    _text(draw, (SIZE // 2, 360), pic.label, 40, (50, 55, 65), SIZE - 40)
    _text(draw, (SIZE // 2, 415), pic.caption, 26, (100, 100, 100), SIZE - 40)


def _nut(draw: ImageDraw.ImageDraw, pic: Picture, *, washer: bool = False) -> None:
    steel, dark = pic.color, _shade(pic.color, 0.6)
    cx, cy = SIZE // 2, 200
    if washer:
        draw.ellipse((cx - 150, cy - 150, cx + 150, cy + 150), fill=steel, outline=dark, width=4)
    else:
        draw.regular_polygon((cx, cy, 150), 6, rotation=30, fill=steel, outline=dark)
        draw.ellipse((cx - 110, cy - 110, cx + 110, cy + 110), outline=_shade(steel, 1.2), width=3)
    draw.ellipse((cx - 62, cy - 62, cx + 62, cy + 62), fill=BACKGROUND, outline=dark, width=3)
    _text(draw, (cx, 400), pic.label, 40, (50, 55, 65), SIZE - 40)


def _seal(draw: ImageDraw.ImageDraw, pic: Picture) -> None:
    cx, cy = SIZE // 2, 200
    draw.ellipse((cx - 160, cy - 160, cx + 160, cy + 160), fill=pic.color)
    draw.ellipse((cx - 130, cy - 130, cx + 130, cy + 130), outline=(210, 210, 210), width=6)
    draw.ellipse((cx - 100, cy - 100, cx + 100, cy + 100), fill=BACKGROUND)
    _text(draw, (cx, 410), pic.label, 40, (50, 55, 65), SIZE - 40)


def draw(pic: Picture) -> Image.Image:
    image = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    d = ImageDraw.Draw(image)
    shape = pic.shape
    if shape == "bottle":
        _bottle(d, pic)
    elif shape == "can":
        _can(d, pic)
    elif shape == "box":
        _box(d, pic)
    elif shape == "bag":
        _bag(d, pic)
    elif shape == "jug":
        _jug(d, pic)
    elif shape == "bearing":
        _bearing(d, pic, kind="sealed")
    elif shape == "bearing_open":
        _bearing(d, pic, kind="open")
    elif shape == "tapered":
        _bearing(d, pic, kind="tapered")
    elif shape == "bolt":
        _bolt(d, pic)
    elif shape in {"nut", "washer"}:
        _nut(d, pic, washer=shape == "washer")
    elif shape == "seal":
        _seal(d, pic)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return image


def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85, optimize=False)
    return buf.getvalue()


def render(pic: Picture) -> tuple[bytes, bytes]:
    """The picture and its thumbnail, as JPEG bytes."""
    image = draw(pic)
    thumb = image.reduce(SIZE // THUMB)  # a box filter: exact for the 2:1 ratio, and fast
    return _jpeg(image), _jpeg(thumb)
