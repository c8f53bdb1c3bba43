"""Reading the certificates' PDFs: their text (pypdf) and their QR codes (rendered by PDFium, decoded by ZXing)."""

import io

import pypdf
import pypdfium2
import zxingcpp


def pdf_text(content: bytes) -> str:
    """The text of every page as pypdf extracts it, with line breaks as spaces (a paragraph may wrap anywhere)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def pdf_qr_codes(content: bytes) -> list[str]:
    """Every QR code on the first page, rendered at 216 dpi and decoded by ZXing."""
    page = pypdfium2.PdfDocument(content)[0]
    image = page.render(scale=3).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]
