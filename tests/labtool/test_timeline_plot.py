"""The VM-kill timeline plot, drawn from sample data: a real PNG showing what happened."""

from __future__ import annotations

from PIL import Image, ImageColor
from sample_data import MARKS, vm_kill_samples

from labtool.timeline import FAILED_COLOR, MARK_COLORS, OK_COLOR, plot_timeline, read_marks, write_marks


def columns_with(image: Image.Image, color: str) -> list[int]:
    """x positions of every pixel column that has the exact colour."""
    wanted = ImageColor.getrgb(color)
    pixels = image.load()
    return [x for x in range(image.width) if any(pixels[x, y] == wanted for y in range(image.height))]


def bar_area(image: Image.Image) -> Image.Image:
    """Below the legend (upper right): bars reach at most 1/1.6 of the axis height."""
    return image.crop((0, int(image.height * 0.35), image.width, image.height))


def test_plot_is_a_png_of_the_requested_size_with_failures_where_the_fault_was(tmp_path):
    out = plot_timeline(vm_kill_samples(), MARKS, tmp_path / "vm-kill.png", "kill one VM")
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 500)
        picture = image.convert("RGB")
    bars = bar_area(picture)
    ok_columns, failed_columns = columns_with(bars, OK_COLOR), columns_with(bars, FAILED_COLOR)
    assert ok_columns and failed_columns
    # The samples fail only from 20 s to 48 s of 60 s, so the red bars cover the
    # middle of the x axis that the green bars span end to end.
    span = ok_columns[-1] - ok_columns[0]
    first, last = (failed_columns[0] - ok_columns[0]) / span, (failed_columns[-1] - ok_columns[0]) / span
    assert 0.25 < first < 0.4 and 0.7 < last < 0.85, (first, last)
    assert columns_with(picture, MARK_COLORS["fault"]) and columns_with(picture, MARK_COLORS["recovery"])


def test_clean_run_has_no_failure_bars(tmp_path):
    out = plot_timeline(vm_kill_samples(failures=False), MARKS, tmp_path / "clean.png", "clean")
    with Image.open(out) as image:
        picture = image.convert("RGB")
    assert columns_with(picture, OK_COLOR)
    assert columns_with(bar_area(picture), FAILED_COLOR) == []


def test_marks_round_trip(tmp_path):
    write_marks(MARKS, tmp_path / "marks.json")
    assert read_marks(tmp_path / "marks.json") == MARKS
