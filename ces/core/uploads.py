"""What an uploaded file is, from its first bytes: the name and the type the browser claims are never trusted.

Used by every app that stores people's files (host-family receipts, visitors' documents)."""

# The first bytes of each type a person may upload (a PDF, a JPEG or PNG photo).
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff_content_type(upload) -> str | None:
    """The content type of ``upload`` (a file object) by its first bytes, or None for anything else. The
    file is read from the start and left at the start."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, signatures in SIGNATURES.items():
        if head.startswith(signatures):
            return content_type
    return None
