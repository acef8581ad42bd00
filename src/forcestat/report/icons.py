"""The NHS "Making Data Count" variation and assurance icons, drawn once as SVG.

The HTML report inlines the SVG, the PDF is rendered from that HTML, and the Word file embeds
the same SVG rasterised to PNG (by vl-convert, already a dependency), so the three formats show
the same drawing. Each icon carries its meaning as words too (``aria-label`` in SVG, alt text
in Word, and a key under the summary table) and a letter (H, L, P, F, ?): colour is never the
only signal.

Variation (an XmR chart of the monthly figures):

=================  =====================================================  ==========
code               meaning                                                 colour
=================  =====================================================  ==========
common             common-cause variation: no significant change           grey
improvement_high   special cause, improving, high values                   blue, H
improvement_low    special cause, improving, low values                    blue, L
concern_high       special cause, concerning, high values                  orange, H
concern_low        special cause, concerning, low values                   orange, L
neither_high       special cause, high, neither better nor worse           purple, H
neither_low        special cause, low, neither better nor worse            purple, L
none               too few months to tell                                  (no icon)
=================  =====================================================  ==========

Assurance (where the benchmark sits against the process limits): ``pass`` (blue P: the
limits are all on the meeting side, so it will consistently be met), ``fail`` (orange F:
consistently not met unless something changes), ``hit_miss`` (grey ?: the benchmark is inside
the limits, so it will be met in some months and missed in others), ``none`` (no benchmark).
"""

from __future__ import annotations

from html import escape

GREY, BLUE, ORANGE, PURPLE = "#7b7b7b", "#1f77b4", "#e07b00", "#5b2a86"

VARIATION_WORDS = {
    "common": "Common-cause variation (no significant change)",
    "improvement_high": "Special cause: improvement (higher)",
    "improvement_low": "Special cause: improvement (lower)",
    "concern_high": "Special cause: concern (higher)",
    "concern_low": "Special cause: concern (lower)",
    "neither_high": "Special cause: higher (neither better nor worse)",
    "neither_low": "Special cause: lower (neither better nor worse)",
    "none": "Too few months to assess variation",
}
ASSURANCE_WORDS = {
    "pass": "Will consistently meet the benchmark",
    "fail": "Will consistently miss the benchmark",
    "hit_miss": "Will meet and miss the benchmark at random",
    "none": "No benchmark to assure against",
}
SHORT_WORDS = {
    "common": "Common cause",
    "improvement_high": "Improving (high)",
    "improvement_low": "Improving (low)",
    "concern_high": "Concern (high)",
    "concern_low": "Concern (low)",
    "neither_high": "Special cause (high)",
    "neither_low": "Special cause (low)",
    "none": "Too few months",
    "pass": "Consistently met",
    "fail": "Consistently missed",
    "hit_miss": "Hit and miss",
}


def _colour(code: str) -> str:
    if code.startswith("improvement") or code == "pass":
        return BLUE
    if code.startswith("concern") or code == "fail":
        return ORANGE
    if code.startswith("neither"):
        return PURPLE
    return GREY


def _frame(code: str, title: str, inner: str, size: int) -> str:
    c = _colour(code)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mdc-icon mdc-{code}" width="{size}" '
        f'height="{size}" viewBox="0 0 40 40" role="img" aria-label="{escape(title)}">'
        f'<circle cx="20" cy="20" r="17.5" fill="#ffffff" stroke="{c}" stroke-width="3"/>'
        f"{inner}</svg>"
    )


def _letter(letter: str, colour: str, y: int = 25) -> str:
    return (
        f'<text x="20" y="{y}" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" '
        f'font-weight="bold" font-size="15" fill="{colour}">{letter}</text>'
    )


def _dots(ys: list[float], colours: list[str]) -> str:
    xs = [9, 14.5, 20, 25.5, 31]
    pts = " ".join(f"{x},{y}" for x, y in zip(xs, ys, strict=True))
    line = f'<polyline points="{pts}" fill="none" stroke="{GREY}" stroke-width="1.2"/>'
    return line + "".join(
        f'<circle cx="{x}" cy="{y}" r="2.3" fill="{col}"/>'
        for x, y, col in zip(xs, ys, colours, strict=True)
    )


def variation_svg(code: str, size: int = 26) -> str:
    """The variation icon for ``code`` (see the module docs) as an SVG string."""
    title = VARIATION_WORDS.get(code, VARIATION_WORDS["none"])
    if code == "none":
        return _frame("none", title, _letter("–", GREY, 26), size)
    c = _colour(code)
    if code == "common":
        return _frame(code, title, _dots([22, 18, 23, 19, 21], [GREY] * 5), size)
    high = code.endswith("_high")
    ys = [27, 26, 24, 23, 22] if high else [13, 14, 16, 17, 18]
    letter = _letter("H" if high else "L", c, 14 if not high else 17)
    if high:
        letter = _letter("H", c, 17)
        dots = _dots([30, 29, 27, 26, 25], [GREY, GREY, c, c, c])
    else:
        letter = _letter("L", c, 29)
        dots = _dots([10, 11, 13, 14, 15], [GREY, GREY, c, c, c])
    del ys
    return _frame(code, title, dots + letter, size)


def assurance_svg(code: str, size: int = 26) -> str:
    """The assurance icon for ``code`` (pass, fail, hit_miss, none) as an SVG string."""
    title = ASSURANCE_WORDS.get(code, ASSURANCE_WORDS["none"])
    letter = {"pass": "P", "fail": "F", "hit_miss": "?"}.get(code, "–")
    inner = _letter(letter, _colour(code), 26)
    return _frame(code if code in ASSURANCE_WORDS else "none", title, inner, size)


def svg_png(svg: str, scale: float = 4.0) -> bytes:
    """An icon's SVG as PNG bytes (for Word), by vl-convert's resvg."""
    import vl_convert as vlc

    return bytes(vlc.svg_to_png(svg, scale=scale))
