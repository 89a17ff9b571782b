"""`--png`: the report's SVG picture (report.pictures) as a PNG, for the forums and chats
that take only raster images. resvg-py (the optional extra `png`) is imported on this path
alone: the command and the library do not need it.
"""
from __future__ import annotations

import re

from .errors import BadOptionError

# rich's SVG asks for Fira Code (a web font, which resvg does not fetch), then `monospace`,
# which resvg maps to Courier New alone: a machine without that font got a picture without
# text. The monospaced fonts of the common systems are named before the generic family.
_FONTS = re.compile(r"font-family:\s*Fira Code,\s*monospace")
MONOSPACE = 'Fira Code, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace'
ZOOM = 2  # pixels per unit of the SVG: sharp on the high-density screens posts are read on
INSTALL = 'pip install "backprop-shapecheck[png]"'


def renderer():
    """resvg-py's `svg_to_bytes`; a BadOptionError saying how to install it where it is
    missing (asked before anything is checked, so that nothing is written)."""
    try:
        import resvg_py
    except ImportError:
        raise BadOptionError(f"--png needs the resvg-py package, which is not installed: "
                             f"{INSTALL}") from None
    return resvg_py.svg_to_bytes


def png(svg: str) -> bytes:
    """PNG bytes of an SVG picture of the report, text in a monospaced font."""
    svg = _FONTS.sub(f"font-family: {MONOSPACE}", svg)
    try:
        return bytes(renderer()(svg_string=svg, zoom=ZOOM))
    except ValueError as e:  # resvg's one error: an SVG it cannot draw
        raise BadOptionError(f"--png: resvg could not draw the picture ({e})") from None
