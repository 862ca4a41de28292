"""Official documents rendered to PDF (notices, platform sheets) from Jinja templates."""

from procurement.documents.pdf import PdfRenderer, PdfRenderError, make_pdf_environment

__all__ = ["PdfRenderError", "PdfRenderer", "make_pdf_environment"]
