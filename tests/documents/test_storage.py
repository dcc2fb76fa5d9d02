"""Bytes in: the type is sniffed from content, files are kept by sha256, names made safe."""
import hashlib
import unicodedata

import pytest

from tests.documents.conftest import EXE, HTML, JPEG, PDF, PDF_WITH_JS, PNG, pdf_with_hidden_js
from trainhub.documents import storage


@pytest.mark.parametrize("data, expected", [
    (PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png"),
    (EXE, None), (HTML, None), (b"", None), (b"%PD", None), (b"GIF89a", None),
])
def test_type_is_sniffed_from_the_bytes(data, expected):
    assert storage.sniff_type(data) == expected


@pytest.mark.parametrize("name, content_type, expected", [
    ("../../etc/passwd", "application/pdf", "passwd.pdf"),
    ("C:\\Users\\ana\\scan.png", "image/png", "scan.png"),
    ("con.pdf", "application/pdf", "_con.pdf"),
    ("LPT1.tar.pdf", "application/pdf", "_LPT1.tar.pdf"),
    ("Adeverință salariat.pdf", "application/pdf", "Adeverință_salariat.pdf"),
    ("Паспорт Иванов.PDF", "application/pdf", "Паспорт_Иванов.pdf"),
    ("身份证.jpeg", "image/jpeg", "身份证.jpeg"),
    ("", "application/pdf", "document.pdf"),
    ("...", "image/png", "document.png"),
    ("../", None, "document"),
    ("<img src=x onerror=alert(1)>.pdf", "application/pdf", "img_src_x_onerror_alert_1.pdf"),
    ("<script>x</script>.pdf", "application/pdf", "script.pdf"),
    ("factura.exe", "application/pdf", "factura.exe.pdf"),
    ("poza.png", "image/jpeg", "poza.png.jpg"),
    ("a\x00b\r\nc.pdf", "application/pdf", "a_b_c.pdf"),
])
def test_filenames_are_made_safe(name, content_type, expected):
    assert storage.safe_filename(name, content_type) == expected


def test_decomposed_diacritics_are_composed():
    decomposed = unicodedata.normalize("NFD", "Ștefănescu.pdf")
    assert storage.safe_filename(decomposed, "application/pdf") == "Ștefănescu.pdf"


def test_long_names_are_cut_to_255_keeping_the_extension():
    name = storage.safe_filename("ă" * 300 + ".pdf", "application/pdf")
    assert len(name) == 255
    assert name.endswith("ăăă.pdf")


def test_pdf_javascript_is_found_even_when_escaped_or_compressed():
    assert storage.pdf_has_javascript(PDF_WITH_JS)
    assert storage.pdf_has_javascript(PDF.replace(b"/Catalog", b"/Catalog /AA << /O << /S /J#61vaScript >> >>"))
    assert storage.pdf_has_javascript(pdf_with_hidden_js())
    assert not storage.pdf_has_javascript(PDF)
    assert not storage.pdf_has_javascript(PDF + b"% a word like JSON or /JSX is no script\n")


def test_only_images_and_script_free_pdfs_are_previewable():
    assert storage.previewable("image/png", PNG)
    assert storage.previewable("application/pdf", PDF)
    assert not storage.previewable("application/pdf", PDF_WITH_JS)
    assert not storage.previewable("text/html", HTML)


def test_files_are_kept_once_under_their_sha256(tmp_path):
    digest = hashlib.sha256(PDF).hexdigest()
    key, stored_digest = storage.store(tmp_path, PDF)
    assert (key, stored_digest) == (f"{digest[:2]}/{digest[2:4]}/{digest}", digest)
    assert storage.store(tmp_path, PDF) == (key, digest)
    assert (tmp_path / key).read_bytes() == PDF
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [tmp_path / key]


@pytest.mark.parametrize("key", ["../../etc/passwd", "ab/cd/../../x", "", "AB/CD/" + "A" * 64])
def test_only_generated_keys_lead_to_a_file(tmp_path, key):
    with pytest.raises(ValueError):
        storage.stored_path(tmp_path, key)
