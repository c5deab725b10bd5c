"""core.rag.documents: hostile uploads refused plainly; text, PDF and pasted documents."""

from __future__ import annotations

import pytest

from core.rag import (
    UploadError,
    text_document,
    upload_document,
)


def _never_read() -> bytes:
    raise AssertionError("read() must not be called")


def _pdf(text: str) -> bytes:
    """A one-page PDF with a text layer, written by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


@pytest.mark.parametrize(
    "name,size,data,msg",
    [
        ("big.txt", 50 * 2**20, None, "the limit is"),
        ("empty.txt", 0, b"", "is empty"),
        ("tool.exe", 10, b"MZ\x90\x00", "only .txt"),
        ("blob.txt", 6, b"\x00\x01\x02ab\x00", "binary"),
        ("spaces.md", 3, b"   ", "empty"),
        (
            "broken.pdf",
            30,
            b"%PDF-1.4\nthis is not really a pdf",
            "could not be read|no extractable",
        ),
        ("fake.pdf", 5, b"hello", "not a PDF"),
    ],
)
def test_hostile_uploads_are_refused_with_a_clear_message(name, size, data, msg):
    with pytest.raises(UploadError, match=msg):
        upload_document(name, size, _never_read if data is None else (lambda: data))


def test_text_and_pdf_uploads_become_documents():
    doc = upload_document(
        "../../etc/notes.md", 12, lambda: "Hello \ud800 notes".encode("utf-8", "surrogatepass")
    )
    assert doc.source == "notes.md" and "Hello" in doc.text
    pdf = _pdf("Retrieval finds passages")
    doc = upload_document("paper.pdf", len(pdf), lambda: pdf)
    assert doc.source == "paper.pdf" and "Retrieval finds passages" in doc.text


def test_pasted_text_is_cleaned_and_cut():
    doc = text_document("notes", "x" * 200_000)
    assert len(doc.text) == 100_000 and doc.notes
    with pytest.raises(UploadError, match="empty"):
        text_document("notes", " \n ")
