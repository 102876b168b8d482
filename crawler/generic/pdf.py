"""What a PDF's text says it is when its metadata does not: the subject line as the title
("N. DCCII - Decreto … recante “Linee guida …”", "Délibération n° 2024-011 du 18 janvier 2024
portant …", "关于…的通知") and the act's date (the signing line at the end, else a date in its
heading, else its file name), in Italian, French, English and Chinese forms. Pure functions of the
text as spiders.pdf_text extracts it (paragraphs separated by blank lines)."""

from __future__ import annotations

import re
from datetime import date

from crawler.generic.dates import first_date, url_date
from crawler.normalize import clean_line

_NUMBER_LINE = re.compile(r"^N\.\s*[IVXLCDM]+\b\.?$|^(?:No\.|N°|n°|Nr\.)\s*[\w./-]+$", re.I)
_ACT_KINDS = re.compile(r"^(?:legge|decreto|regolamento|ordinanza|norme|motu proprio|lettera apostolica|"
                        r"délibération|décision|arrêté|décret|loi|ordonnance|avis|recommandation|"
                        r"act|law|decree|regulation|order|executive order|directive|decision|guidelines?)\b", re.I)
_SUBJECT = re.compile(r"^(?:recante|concernente|relativ[oa]|in materia di|oggetto\s*:|portant|relati(?:f|ve) [àa]|"
                      r"concernant|sur |subject\s*:|on |regarding|concerning)", re.I)
_BODY_STARTS = re.compile(r"^(?:vist[oa]|considerat[oa]|premesso|il presidente|la pontificia|vu |considérant|"
                          r"la commission|whereas|having regard|art\.|articolo|article|ha promulgato|"
                          r"各[省市区有]|为了|为贯彻|根据)", re.I)
_CN_TITLE = re.compile(r"关于[^。\n]{2,80}?的(?:通知|通告|公告|意见|决定|批复|函|报告|指导意见|实施意见)")
# Dated paragraphs near the end that are not the signing line: entry into force, printing, deadlines.
_NOT_SIGNING = re.compile(r"vigore|vigueur|effect|decorrere|entro|avant le|before|"
                          r"施行|实施|印发|生效|截止|请于|日前|。$", re.I)
_BODY_MARK = re.compile(r"^(?:Art\.\s*1\b|Articolo 1\b|Article (?:1er|premier|1)\b|HA PROMULGATO|ADOPTE|第一条)",
                        re.M | re.I)
_SIGNING_LINE_CHARS = 90
_TAIL_CHARS = 900
_HEAD_PARAGRAPHS = 8
# Capitalised words in an all-capitals heading that stay capitalised in running text.
_PROPER = {"presidente", "governatorato", "stato", "città", "vaticano", "pontificia", "commissione", "santa",
           "sede", "repubblica", "consiglio", "ministro", "ministri", "garante", "république", "conseil",
           "commission", "président", "cnil", "ue", "eu"}


def document_title(text: str, metadata_title: str = "") -> str:
    """The act's number, kind and subject from its opening lines; else the metadata title; else the first line."""
    paragraphs = [clean_line(p) for p in text.split("\n\n") if p.strip()][:_HEAD_PARAGRAPHS]
    chinese = _CN_TITLE.search("".join(paragraphs[:6]))
    if chinese:
        return chinese.group(0)
    number = next((p for p in paragraphs[:2] if _NUMBER_LINE.match(p)), "")
    heading: list[str] = []
    for paragraph in paragraphs:
        if paragraph == number:
            continue
        if _BODY_STARTS.match(paragraph) and heading:
            break
        if _ACT_KINDS.match(paragraph) or _SUBJECT.match(paragraph) or (heading and not _BODY_STARTS.match(paragraph)):
            heading.append(_sentence_case(paragraph))
        if heading and _SUBJECT.search(" ".join(heading)) and _closes(heading[-1]):
            break
    subject = " ".join(heading)
    if subject and (_SUBJECT.search(subject) or "“" in subject or "«" in subject or len(subject.split()) > 6):
        return f"{number} - {subject}" if number else subject
    return clean_line(metadata_title) or (f"{number} - {subject}" if number and subject else
                                          (paragraphs[0] if paragraphs else ""))


def _closes(paragraph: str) -> bool:
    return paragraph.rstrip().endswith(("”", "»", '"', ".", ")")) or len(paragraph) < 60


def _sentence_case(line: str) -> str:
    """An all-capitals heading as running text: DECRETO DEL PRESIDENTE -> Decreto del Presidente."""
    if not line.isupper():
        return line
    words = line.lower().split()
    return " ".join(w.capitalize() if i == 0 or w in _PROPER else w for i, w in enumerate(words))


def document_date(text: str, url: str = "", tz: str = "UTC") -> date | None:
    """The act's date: the signing line after its articles (a short paragraph with a date, not an
    entry into force or a printing date), else a date in its heading (before the recitals, whose
    dates are other acts'), else a date written out in words, else its file name."""
    body = _BODY_MARK.search(text)
    tail = text[max(body.end() if body else 0, len(text) - _TAIL_CHARS):]
    for paragraph in (p.strip() for p in tail.split("\n\n")):
        if len(paragraph) <= _SIGNING_LINE_CHARS and not _NOT_SIGNING.search(paragraph):
            if found := first_date(paragraph, tz):
                return found
    heading = _heading_text(text)
    return first_date(heading, tz) or written_out_date(tail) or written_out_date(heading) or \
        url_date(url.rsplit("/", 1)[-1])


def _heading_text(text: str) -> str:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    head = []
    for paragraph in paragraphs[:_HEAD_PARAGRAPHS]:
        if _BODY_STARTS.match(paragraph.strip()):
            break
        head.append(paragraph)
    return "\n".join(head)


# --- Italian dates written out: "sedici dicembre duemilaventiquattro" --------------------------------

_UNITS = ("", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci", "undici",
          "dodici", "tredici", "quattordici", "quindici", "sedici", "diciassette", "diciotto", "diciannove")
_TENS = {"venti": 20, "trenta": 30, "quaranta": 40, "cinquanta": 50, "sessanta": 60, "settanta": 70,
         "ottanta": 80, "novanta": 90}
_MONTHS_IT = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
              "ottobre", "novembre", "dicembre")
_WRITTEN = re.compile(rf"\b(primo|[a-z]+)\s+({'|'.join(_MONTHS_IT)})\s+(duemila[a-z]*|millenovecento[a-z]*)\b", re.I)


def _number_words(words: str) -> int | None:
    """0..99 written in Italian (ventiquattro, trentuno, ventitré, ventotto)."""
    words = words.lower().replace("é", "e")
    if words == "":
        return 0
    if words in _UNITS:
        return _UNITS.index(words)
    for name, value in _TENS.items():
        for stem in (name, name[:-1]):  # "ventuno", "ventotto" drop the vowel
            if words.startswith(stem):
                rest = _number_words(words[len(stem):])
                if rest is not None and rest < 10:
                    return value + rest
    return None


def written_out_date(text: str) -> date | None:
    for match in _WRITTEN.finditer(text or ""):
        day = 1 if match[1].lower() == "primo" else _number_words(match[1])
        year_words = match[3].lower()
        base = 2000 if year_words.startswith("duemila") else 1900
        rest = _number_words(year_words.removeprefix("duemila").removeprefix("millenovecento"))
        if day and rest is not None:
            try:
                return date(base + rest, _MONTHS_IT.index(match[2].lower()) + 1, day)
            except ValueError:
                continue
    return None
