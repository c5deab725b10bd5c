"""Documents for the knowledge base: the starter lesson notes, uploads and pasted text.

Uploads are checked before they are read: size first (a 50 MB file is refused from its size
alone), then the extension, then the content (binary bytes, a PDF that does not parse, no text).
Every refusal is an :class:`UploadError` whose message can be shown as is.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import get_settings
from core.text import clean_text

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 5 MB: a long PDF; the text is cut to GENAI_MAX_CHARS anyway
TEXT_TYPES = (".txt", ".md", ".markdown")
UPLOAD_TYPES = (*TEXT_TYPES, ".pdf")
_SOURCE = re.compile(r"[^\w .()+-]+")


class UploadError(ValueError):
    """A file or text that cannot go into the knowledge base; the message says why."""


@dataclass(frozen=True)
class Document:
    """A text and where it came from.

    Args:
        source: a file name or label shown in citations (``rag.md``).
        text: the whole text.
        notes: what was changed on the way in (truncated, characters replaced).
    """

    source: str
    text: str
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ValueError("A document needs a source name.")

    @property
    def doc_id(self) -> str:
        """Stable id from the source name: adding a document with the same name replaces it."""
        return "doc-" + hashlib.sha1(self.source.encode("utf-8")).hexdigest()[:12]

    @property
    def sha(self) -> str:
        """Fingerprint of the text (to notice a changed document)."""
        return hashlib.sha1(self.text.encode("utf-8", "replace")).hexdigest()[:12]


def corpus_dir() -> Path:
    return get_settings().assets_dir / "rag" / "corpus"


def starter_documents() -> list[Document]:
    """The lesson notes shipped in ``assets/rag/corpus`` (one per concept of the playground)."""
    return [Document(p.name, p.read_text("utf-8")) for p in sorted(corpus_dir().glob("*.md"))]


def labelled_questions() -> list[dict[str, str]]:
    """Labelled questions over the starter notes: ``question``, ``doc`` and answering ``span``."""
    path = get_settings().assets_dir / "rag" / "questions.json"
    return list(json.loads(path.read_text("utf-8"))["questions"])


def clean_source(name: str) -> str:
    """A file name fit to show and store: no folders, no odd characters, at most 80 characters."""
    base = re.split(r"[\\/]", (name or "").strip())[-1]
    base = _SOURCE.sub("_", base).strip(" ._") or "pasted text"
    return base[:80]


def text_document(source: str, text: str, *, max_chars: int | None = None) -> Document:
    """A document from pasted text, cleaned (surrogates replaced, cut at ``max_chars``).

    Raises:
        UploadError: the text is empty.
    """
    clean = clean_text(text, max_chars=max_chars or get_settings().max_chars, strip_controls=True)
    if clean.empty:
        raise UploadError("The text is empty: paste or upload some text to add.")
    return Document(clean_source(source), clean.text, clean.notes)


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    odd = sum(b < 9 or 13 < b < 32 for b in sample)
    return odd > 0.05 * max(len(sample), 1)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UploadError("This PDF is encrypted: save a copy without a password and retry.")
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except UploadError:
        raise
    except Exception as e:  # pypdf raises many types for broken files
        raise UploadError(
            f"This PDF could not be read ({type(e).__name__}): the file may be damaged. "
            "Try another export, or paste its text."
        ) from e


def upload_document(
    name: str, size: int, read: Callable[[], bytes], *, max_bytes: int = MAX_UPLOAD_BYTES
) -> Document:
    """Turn an uploaded file into a :class:`Document`, refusing what does not fit.

    Args:
        name: the file name as uploaded.
        size: its size in bytes, as reported by the upload (checked before reading).
        read: returns the bytes; called only when the size and type are acceptable.
        max_bytes: the size limit.

    Returns:
        The document; ``notes`` say what was changed (truncation, replaced characters).

    Raises:
        UploadError: too big, wrong type, empty, binary, unreadable PDF or no text.
    """
    source = clean_source(name)
    ext = Path(source).suffix.lower()
    if size > max_bytes:
        raise UploadError(
            f"{source} is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
            "Split it or paste the part you need."
        )
    if ext not in UPLOAD_TYPES:
        raise UploadError(
            f"{source}: only {', '.join(UPLOAD_TYPES)} files can be added "
            f"({ext or 'no extension'} is not supported)."
        )
    if size == 0:
        raise UploadError(f"{source} is empty.")
    data = read()
    if len(data) > max_bytes:  # the reported size lied
        raise UploadError(f"{source} is larger than {max_bytes / 1e6:.0f} MB.")
    if ext == ".pdf":
        if not data.startswith(b"%PDF"):
            raise UploadError(f"{source} is not a PDF (it does not start with %PDF).")
        text = _pdf_text(data)
        if not text.strip():
            raise UploadError(
                f"{source} has no extractable text (a scan?): only PDFs with a text layer work."
            )
    else:
        if _looks_binary(data):
            raise UploadError(f"{source} looks like a binary file, not text.")
        text = data.decode("utf-8", errors="replace")
    try:
        return text_document(source, text)
    except UploadError as e:
        raise UploadError(f"{source}: {e}") from e
