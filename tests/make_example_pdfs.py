"""Writes the PDF example files: real PDF documents (compressed text pages in Helvetica,
WinAnsi-encoded so Italian accents and typographic quotes survive, an information dictionary as
word processors write it), shaped like what the sites serve. Run by hand after changing the texts below:

    python -m tests.make_example_pdfs

The wording is ours, written for the tests; only the layout follows the real documents.
"""

from __future__ import annotations

import zlib
from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
LINES_PER_PAGE = 52

VATICAN_DECREE = (
    "N. DCCII",
    "Decreto della Pontificia Commissione per lo Stato della Città del Vaticano",
    "recante “Linee Guida in materia di intelligenza artificiale”",
    "",
    "LA PONTIFICIA COMMISSIONE PER LO STATO DELLA CITTÀ DEL VATICANO",
    "vista la Legge Fondamentale dello Stato della Città del Vaticano, 13 maggio 2023;",
    "vista la Legge sulle Fonti del diritto, 1° ottobre 2008, n. LXXI;",
    "visto il Decreto recante il Regolamento Generale sulla protezione dei Dati personali,",
    "30 aprile 2024, n. DCLVII;",
    "considerato che l’impiego di sistemi e modelli di intelligenza artificiale si va diffondendo",
    "anche negli Organismi dello Stato e richiede principi che ne orientino l’uso;",
    "HA PROMULGATO",
    "il seguente Decreto:",
    "Art. 1",
    "(Finalità ed ambito di applicazione)",
    "1. Le presenti Linee Guida promuovono un impiego etico, trasparente e responsabile",
    "dell’intelligenza artificiale nello Stato, in una prospettiva antropocentrica, nel rispetto",
    "della dignità umana e del bene comune.",
    "2. Esse si applicano al Governatorato, al suo personale e alle attività che esso svolge",
    "nelle zone di cui agli articoli 15 e 16 del Trattato Lateranense.",
    "Art. 2",
    "(Definizioni)",
    "1. Ai fini del presente Decreto, per intelligenza artificiale si intende l’insieme di sistemi",
    "e modelli computazionali che, con processi automatizzati, analizzano dati, ne apprendono",
    "e svolgono compiti che richiederebbero altrimenti l’intelligenza umana.",
    "Art. 3",
    "(Principi generali)",
    "1. I sistemi di intelligenza artificiale sono sviluppati e utilizzati garantendo la sicurezza",
    "dello Stato, la riservatezza dei dati personali e la non discriminazione delle persone.",
    "2. L’uso dell’intelligenza artificiale non limita il potere decisionale di chi è responsabile",
    "dell’organizzazione e del funzionamento degli uffici.",
    "Art. 4",
    "(Divieti)",
    "1. È vietato l’impiego di sistemi che utilizzino tecniche di manipolazione subliminale",
    "idonee a recare danno fisico o psicologico alla persona.",
    "Art. 5",
    "(Commissione sull’intelligenza artificiale)",
    "1. È istituita una Commissione di cinque membri, che vigila sull’attuazione del presente",
    "Decreto e predispone le norme di attuazione.",
    "Art. 6",
    "(Entrata in vigore)",
    "1. Il presente Decreto entra in vigore il 1° gennaio 2025.",
    "Il testo del presente Decreto, munito del sigillo dello Stato, sarà depositato nell’Archivio",
    "delle leggi dello Stato della Città del Vaticano e pubblicato mediante affissione.",
    "",
    "Dal Palazzo del Governatorato, 16 dicembre 2024",
    "",
    "Fernando Card. Vérgez Alzaga, L.C.",
    "Presidente",
    "",
    "Sr. Raffaella Petrini, F.S.E.",
    "Segretario Generale",
)

UN_FINAL_REPORT = (
    "Governing AI for Humanity",
    "Final Report",
    "United Nations High-level Advisory Body on Artificial Intelligence",
    "",
    "Executive summary",
    "Artificial intelligence is transforming our world. It offers tremendous potential for",
    "good, from opening new areas of scientific inquiry to accelerating progress on the",
    "Sustainable Development Goals, but it also raises risks that no single country can",
    "manage alone.",
    "There is, today, a global governance deficit with respect to AI. Despite much discussion",
    "of ethics and principles, the patchwork of norms and institutions is still nascent and",
    "full of gaps, and accountability is often notable for its absence.",
    "Recommendations",
    "1. An international scientific panel on AI, to issue an annual report on AI capabilities,",
    "opportunities and risks.",
    "2. A policy dialogue on AI governance, held on the margins of existing meetings at the",
    "United Nations, to share best practices and promote interoperability.",
    "3. An AI standards exchange, bringing together representatives of standards bodies.",
    "4. A capacity development network to link centres of excellence across regions.",
    "5. A global fund for AI, to put a floor under the AI divide.",
    "6. A global AI data framework, to ensure transparency and accountability.",
    "7. A small AI office within the Secretariat, to support the implementation of these",
    "proposals.",
    "New York, September 2024",
)

UN_INTERIM_REPORT = (
    "Interim Report",
    "Governing AI for Humanity",
    "United Nations AI Advisory Body",
    "",
    "Summary",
    "The Advisory Body was convened to analyse and advance recommendations for the",
    "international governance of artificial intelligence. This interim report sets out",
    "the opportunities and risks it sees and the principles that should guide new",
    "institutions for AI governance.",
    "Guiding principles",
    "1. AI should be governed inclusively, by and for the benefit of all.",
    "2. AI must be governed in the public interest.",
    "3. AI governance should be built in step with data governance and the promotion of",
    "data commons.",
    "4. AI governance must be universal, networked and rooted in adaptive multistakeholder",
    "collaboration.",
    "5. AI governance should be anchored in the UN Charter and international human rights law.",
    "December 2023",
)


def _escape(line: str) -> bytes:
    return line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _page_stream(lines: tuple[str, ...]) -> bytes:
    body = b"".join(b"(" + _escape(line) + b") Tj T*\n" if line else b"T*\n" for line in lines)
    return b"BT /F1 10.5 Tf 14 TL 56 790 Td\n" + body + b"ET"


def pdf_bytes(lines: tuple[str, ...], info: dict[str, str]) -> bytes:
    """A PDF 1.7 file, one page per LINES_PER_PAGE lines, with a cross-reference table."""
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    font, first_page = 3, 5  # object numbers: 1 catalog, 2 pages, 3 font, 4 info, then page/content pairs
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang (it-IT) >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< " + b" ".join(b"/" + key.encode() + b" (" + _escape(value) + b")" for key, value in info.items()) + b" >>",
    ]
    for i, page in enumerate(pages):
        stream = zlib.compress(_page_stream(page))  # FlateDecode, as word processors write pages
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.32 841.92] /Resources << /Font << /F1 "
                       f"{font} 0 R >> >> /Contents {first_page + 2 * i + 1} 0 R >>".encode())
        length = str(len(stream)).encode()
        objects.append(b"<< /Filter /FlateDecode /Length " + length + b" >>\nstream\n" + stream + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.7\n%\xb5\xb5\xb5\xb5\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


DOCUMENTS = {
    EXAMPLES / "vatican-laws" / "decreto_dccii.pdf": (VATICAN_DECREE, {
        "Title": "N. DCCII - Linee Guida in materia di intelligenza artificiale",
        "Author": "Governatorato SCV", "Creator": "Microsoft® Word per Microsoft 365",
        "Producer": "Microsoft® Word per Microsoft 365", "CreationDate": "D:20241216115204+01'00'",
        "ModDate": "D:20241216115204+01'00'"}),
    EXAMPLES / "un-ai-advisory" / "final_report.pdf": (UN_FINAL_REPORT, {
        "Title": "Governing AI for Humanity: Final Report", "Author": "United Nations",
        "Creator": "Adobe InDesign 19.5 (Macintosh)", "Producer": "Adobe PDF Library 17.0",
        "CreationDate": "D:20240918164512-04'00'", "ModDate": "D:20240919090301-04'00'"}),
    EXAMPLES / "un-ai-advisory" / "interim_report.pdf": (UN_INTERIM_REPORT, {
        "Title": "Interim Report: Governing AI for Humanity", "Author": "United Nations",
        "Creator": "Adobe InDesign 19.0 (Windows)", "Producer": "Adobe PDF Library 17.0",
        "CreationDate": "D:20231221093012-05'00'", "ModDate": "D:20231221093530-05'00'"}),
}


if __name__ == "__main__":
    for target, (lines, info) in DOCUMENTS.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pdf_bytes(lines, info))
        print(f"wrote {target}")
