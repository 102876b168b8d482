"""A small writer over python-docx for the bulletin: Chinese fonts, headings, labelled fields, links."""

from __future__ import annotations

import re
from typing import IO

import docx
from docx.enum.dml import MSO_THEME_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

BODY_FONT = "Times New Roman"
CHINESE_FONT = "宋体"  # what Word shows for Chinese text; Latin text keeps BODY_FONT
HEADING_CHINESE_FONT = "黑体"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # lxml refuses these


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _set_fonts(style, latin: str, east_asian: str) -> None:
    style.font.name = latin
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


class BulletinDocument:
    def __init__(self) -> None:
        self.document = docx.Document()
        normal = self.document.styles["Normal"]
        _set_fonts(normal, BODY_FONT, CHINESE_FONT)
        normal.font.size = Pt(11)
        for name in ("Title", "Heading 1", "Heading 2"):
            _set_fonts(self.document.styles[name], BODY_FONT, HEADING_CHINESE_FONT)
        self.document.core_properties.title = ""

    def title(self, text: str) -> None:
        self.document.add_heading(xml_text(text), level=0)
        self.document.core_properties.title = xml_text(text)

    def heading(self, text: str, level: int) -> None:
        self.document.add_heading(xml_text(text), level=level)

    def paragraph(self, text: str) -> Paragraph:
        return self.document.add_paragraph(xml_text(text))

    def field(self, label: str, value: str, link: str | None = None) -> None:
        """`label：value` with the label in bold; `link` makes the value a hyperlink."""
        paragraph = self.document.add_paragraph()
        paragraph.add_run(f"{xml_text(label)}：").bold = True
        if link:
            self._hyperlink(paragraph, xml_text(value), link)
        else:
            paragraph.add_run(xml_text(value))

    def _hyperlink(self, paragraph: Paragraph, text: str, url: str) -> None:
        # python-docx has no hyperlink API: an external relationship and a w:hyperlink element.
        rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("r:id"), rel_id)
        run = paragraph.add_run(text)
        run.font.underline = True
        run.font.color.theme_color = MSO_THEME_COLOR_INDEX.HYPERLINK
        hyperlink.append(run._r)
        paragraph._p.append(hyperlink)

    def save(self, stream: IO[bytes]) -> None:
        self.document.save(stream)
