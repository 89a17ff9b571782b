"""`--png FILE`: the report as a PNG image (resvg-py, the optional extra `png`), rendered
from the same SVG as `--svg`; refused with the install command where resvg-py is missing."""
from __future__ import annotations

import os
import re
import struct
import sys
import zlib

import pytest

from shapecheck import raster

COURSE_ARGS = ["--n0", "3", "--n1", "4", "--n2", "2", "--m", "5"]
WRONG = "dW2 = dZ2 @ A1.T"  # m times the true gradient: a report of several lines
SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def header(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG starts with (its CRC checked)."""
    assert data[:8] == SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(data[12:29])
    return struct.unpack(">II", data[16:24])


def view_box(svg: str) -> tuple[float, float]:
    x, y, width, height = map(float, re.search(r'viewBox="([^"]+)"', svg)[1].split())
    return width, height


def test_png_is_written_beside_the_svg_at_the_svgs_size(cli, here):
    result = cli(WRONG, *COURSE_ARGS, "--png", "report.png", "--svg", "report.svg")
    assert result.exit_code == 1 and result.stderr == ""
    assert "multiply it by 1/m" in result.stdout  # the report itself is printed as always
    assert sorted(os.listdir(here)) == ["report.png", "report.svg"]
    data = (here / "report.png").read_bytes()
    width, height = header(data)
    svg_width, svg_height = view_box((here / "report.svg").read_text(encoding="utf-8"))
    # the picture of the SVG, at twice its size: a few lines of at most 100 columns
    assert (width, height) == (round(svg_width * raster.ZOOM), round(svg_height * raster.ZOOM))
    assert 1000 < width < 3000 and 200 < height < 1000
    assert data.endswith(b"IEND\xaeB`\x82")  # the whole file, up to its closing chunk


def test_the_text_is_drawn_in_a_font_the_machine_has():
    # rich names Fira Code and `monospace`, which resvg maps to Courier New only; without
    # the fonts raster names in front, the text was left out and only the frame was drawn
    from shapecheck import report
    from shapecheck.result import Result

    svg, _ = report.pictures([Result("dZ2 = A2 - Y", "pass", "ok", lhs_shape=("n2", "m"))])
    frame = re.sub(r"<text[^>]*>[^<]*</text>", "", svg)
    assert "dZ2" not in frame and "dZ2" in svg
    assert raster.png(svg) != raster.png(frame)
    assert header(raster.png(svg)) == header(raster.png(frame))


def test_without_resvg_png_is_refused_before_anything_is_checked(cli, here, monkeypatch):
    monkeypatch.setitem(sys.modules, "resvg_py", None)  # `import resvg_py` raises ImportError
    result = cli(WRONG, *COURSE_ARGS, "--png", "report.png", "--svg", "report.svg")
    assert result.exit_code == 2 and not result.crashed
    assert result.stdout == ""
    assert result.stderr.startswith("shapecheck: error: --png needs the resvg-py package")
    assert 'pip install "backprop-shapecheck[png]"' in result.stderr
    assert os.listdir(here) == []  # neither picture: nothing was checked


def test_an_unwritable_png_path_is_an_error_and_writes_nothing(cli, here):
    result = cli("dZ2 = A2 - Y", *COURSE_ARGS, "--png", "missing/dir/report.png")
    assert result.exit_code == 2
    assert result.stderr.startswith("shapecheck: error: --png missing/dir/report.png: cannot write it")
    assert os.listdir(here) == []


def test_a_bad_option_with_png_writes_nothing(cli, here):
    result = cli("dZ2 = A2 - Y", *COURSE_ARGS, "--png", "report.png", "--tol", "0")
    assert result.exit_code == 2 and os.listdir(here) == []


def test_a_picture_resvg_cannot_draw_is_an_error_and_writes_nothing(cli, here, monkeypatch):
    def fails(**_):
        raise ValueError("render failure")
    monkeypatch.setattr(raster, "renderer", lambda: fails)
    result = cli("dZ2 = A2 - Y", *COURSE_ARGS, "--png", "report.png")
    assert result.exit_code == 2 and not result.crashed
    assert result.stderr == "shapecheck: error: --png: resvg could not draw the picture " \
                            "(render failure)\n"
    assert os.listdir(here) == []
