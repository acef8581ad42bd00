"""The PDF, rendered from the same HTML: WeasyPrint, or headless Chromium where it is missing.

The converter is a plain callable ``(html, out_path) -> None`` so tests (and forces with their
own print pipeline) can swap it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ForcestatError

Converter = Callable[[str, Path], None]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


class PdfError(ForcestatError):
    """No way to turn HTML into PDF on this machine."""


def weasyprint_converter(html: str, out: Path) -> None:
    """Render with WeasyPrint (needs Pango, HarfBuzz and a font such as DejaVu)."""
    import weasyprint

    weasyprint.HTML(string=html, base_url=None).write_pdf(str(out))


def chromium_converter(html: str, out: Path) -> None:
    """Render with headless Chromium's print-to-PDF (the fallback)."""
    exe = next((p for n in CHROMIUM_NAMES if (p := shutil.which(n))), None)
    if exe is None:
        raise PdfError("cannot write PDF: neither WeasyPrint nor Chromium is available")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(html, "utf-8")
        subprocess.run(
            [
                exe,
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                src.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def default_converter() -> Converter:
    """WeasyPrint when it imports (its system libraries present), else Chromium."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return chromium_converter
    return weasyprint_converter


def write_pdf(html: str, out: Path, converter: Converter | None = None) -> Path:
    """Write ``html`` as a PDF at ``out`` with ``converter`` (default: WeasyPrint)."""
    (converter or default_converter())(html, out)
    return out
