"""Full-text search over title, summary and text: SQLite FTS5 or a PostgreSQL tsvector with a GIN index.

Chinese has no spaces, and both engines' tokenizers would read a whole run of Hanzi as one word,
so a two-character word (算法) inside a sentence would never match. Regwatch therefore writes the
index body itself: Latin-script words as they are (case-folded), and each run of CJK characters
as its overlapping two-character pieces plus its last character. A Chinese query word becomes the
phrase of its pieces, which matches wherever the word occurs; a single character is a prefix
query. Both backends index the same body, so they answer the same queries alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, column, text
from sqlalchemy.orm import Session

from crawler.storage.models import Document

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_RUN = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_TERM = re.compile(r'"([^"]*)"|(\S+)')
# The tail of a very long text is left out: a PostgreSQL tsvector holds at most 1 MB.
MAX_INDEXED_CHARS = 100_000
# Latin query words this long also match longer words ("model" finds "models").
PREFIX_MIN_CHARS = 4
SQLITE_TABLE = "document_fts"
POSTGRES_TABLE = "document_search"


def index_tokens(value: str) -> list[str]:
    tokens: list[str] = []
    for cjk, word in _RUN.findall(value.casefold()):
        if word:
            tokens.append(word)
        elif len(cjk) == 1:
            tokens.append(cjk)
        else:
            tokens.extend(cjk[i:i + 2] for i in range(len(cjk) - 1))
            tokens.append(cjk[-1])  # so that a one-character query finds it at the end of a run too
    return tokens


def index_body(title: str, summary: str | None, body_text: str | None) -> str:
    return " ".join(index_tokens("\n".join((title or "", summary or "", (body_text or "")[:MAX_INDEXED_CHARS]))))


@dataclass(frozen=True)
class Phrase:
    """Tokens that must follow each other; `prefix`: the last one may be the start of a longer token."""

    tokens: tuple[str, ...]
    prefix: bool = False


def query_phrases(query: str) -> list[Phrase]:
    """Every phrase must match. A quoted "…" group is an exact phrase; a word with hyphens or
    dots (AI-driven) is a phrase of its parts; Chinese and Latin parts of one word match apart."""
    phrases: list[Phrase] = []
    for quoted, bare in _TERM.findall(query):
        phrases += _term_phrases((quoted or bare).casefold(), exact=bool(quoted))
    return phrases


def _term_phrases(term: str, exact: bool) -> list[Phrase]:
    phrases: list[Phrase] = []
    latin: list[str] = []
    for cjk, word in _RUN.findall(term):
        if word:
            latin.append(word)
            continue
        if latin:
            phrases.append(Phrase(tuple(latin)))
            latin = []
        if len(cjk) == 1:
            phrases.append(Phrase((cjk,), prefix=True))
        else:
            phrases.append(Phrase(tuple(cjk[i:i + 2] for i in range(len(cjk) - 1))))
    if latin:
        phrases.append(Phrase(tuple(latin), prefix=not exact and len(latin[-1]) >= PREFIX_MIN_CHARS))
    return phrases


def fts5_query(phrases: list[Phrase]) -> str:
    return " AND ".join(f'"{" ".join(p.tokens)}"' + (" *" if p.prefix else "") for p in phrases)


def tsquery(phrases: list[Phrase]) -> str:
    def lexeme(token: str, last: bool, prefix: bool) -> str:
        return f"'{token}'" + (":*" if last and prefix else "")

    return " & ".join(
        "(" + " <-> ".join(lexeme(t, i == len(p.tokens) - 1, p.prefix) for i, t in enumerate(p.tokens)) + ")"
        for p in phrases)


def matching(session: Session, query: str) -> ColumnElement[bool] | None:
    """A condition on Document.id: the document matches every word of the query.
    None when the query has no searchable word (punctuation only)."""
    phrases = query_phrases(query)
    if not phrases:
        return None
    if session.get_bind().dialect.name == "sqlite":
        ids = text(f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH :fts_query")
        ids = ids.bindparams(fts_query=fts5_query(phrases))
    else:
        ids = text(f"SELECT document_id FROM {POSTGRES_TABLE} WHERE body @@ to_tsquery('simple', :ts_query)")
        ids = ids.bindparams(ts_query=tsquery(phrases))
    return Document.id.in_(ids.columns(column("id", Integer)))


def index_documents(session: Session, rows: Iterable[tuple[int, str, str | None, str | None]],
                    replace: bool = True) -> None:
    """(document id, title, summary, text) into the index; `replace=False` for documents just inserted."""
    params = [{"id": doc_id, "body": index_body(title, summary, body_text)}
              for doc_id, title, summary, body_text in rows]
    if not params:
        return
    execute_index(session.connection(), params, replace)


def execute_index(connection, params: list[dict], replace: bool) -> None:
    """Also used by the migration that builds the index for documents stored before it."""
    if connection.dialect.name == "sqlite":
        if replace:
            connection.execute(text(f"DELETE FROM {SQLITE_TABLE} WHERE rowid = :id"), params)
        connection.execute(text(f"INSERT INTO {SQLITE_TABLE}(rowid, body) VALUES (:id, :body)"), params)
    else:
        connection.execute(text(
            f"INSERT INTO {POSTGRES_TABLE}(document_id, body) VALUES (:id, to_tsvector('simple', :body)) "
            "ON CONFLICT (document_id) DO UPDATE SET body = excluded.body"), params)
