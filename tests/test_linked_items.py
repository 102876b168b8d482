"""One item per document across sources (storage.links), on SQLite and on PostgreSQL: a
public-inspection filing and its Federal Register printing, a White House order and its printing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, insert, select

from crawler.config import SourceConfig
from crawler.items import CandidateItem
from crawler.storage import db, documents, runs
from crawler.storage.documents import store_items
from crawler.storage.models import DocumentLinkKey, TriageEvent

FETCHED = datetime(2025, 1, 31, 12, tzinfo=UTC)
SOURCES = ("federal-register", "federal-register-inspection", "whitehouse")
PRINTED_EO = dict(
    source="federal-register",
    url="https://www.federalregister.gov/documents/2025/01/31/2025-02172/removing-barriers",
    title="Removing Barriers to American Leadership in Artificial Intelligence",
    published=date(2025, 1, 31), doc_type="executive_order", content_hash="fr1", fetched_at=FETCHED,
    identifiers={"fr_document_number": "2025-02172", "executive_order_number": "14179"},
)


def _item(**fields) -> CandidateItem:
    return CandidateItem(**{**PRINTED_EO, **fields})


def _white_house_order(**fields) -> CandidateItem:
    return _item(**{"source": "whitehouse", "identifiers": {}, "content_hash": "wh1", "published": date(2025, 1, 23),
                    "url": "https://www.whitehouse.gov/presidential-actions/2025/01/removing-barriers/",
                    "title": "Removing Barriers To American Leadership In Artificial Intelligence", **fields})


def _inspection_filing(**fields) -> CandidateItem:
    return _item(**{"source": "federal-register-inspection", "content_hash": "pi1", "published": date(2025, 1, 28),
                    "url": "https://www.federalregister.gov/public-inspection/2025-02172/removing-barriers",
                    "title": "Artificial Intelligence: Removing Barriers to American Leadership in "
                             "Artificial Intelligence (EO 14179)",
                    **fields})


@pytest.fixture
def session(database_url):
    session = db.open_session(database_url)
    runs.sync_sources(session, [SourceConfig(id=s, spider="feed", urls=["https://example.gov/feed"]) for s in SOURCES])
    yield session
    session.close()


def _store(session, item: CandidateItem):
    return store_items(session, item.source, [(item, None)])


def _queue(session) -> list[dict]:
    return [documents.queue_entry(d, t) for d, t in documents.list_queue(session)]


def test_published_document_links_to_its_inspection_item(session):
    _store(session, _inspection_filing())
    counts = _store(session, _item())
    assert counts.new == 1  # stored for its own source, with its own versions and evidence
    [entry] = _queue(session)
    assert entry["source"] == "federal-register-inspection" and entry["updated"] is True
    assert [(d["source"], d["identifiers"]["fr_document_number"]) for d in entry["linked"]] == [
        ("federal-register", "2025-02172")]
    assert session.scalars(select(TriageEvent.action)).all() == ["linked"]


def test_white_house_order_and_its_printing_are_one_item_by_title(session):
    _store(session, _white_house_order())
    _store(session, _item())
    [entry] = _queue(session)
    assert entry["source"] == "whitehouse"
    assert [d["identifiers"]["executive_order_number"] for d in entry["linked"]] == ["14179"]


def test_two_sightings_joined_by_the_printing_merge_into_the_first(session):
    _store(session, _white_house_order())   # no number: linked by title
    # A number, but a title of the desk's own wording: no link yet.
    _store(session, _inspection_filing(title="Artificial Intelligence; Removing Barriers to American Leadership "
                                             "(EO 14179)"))
    assert len(_queue(session)) == 2
    _store(session, _item())                # has both: one item
    [entry] = _queue(session)
    assert entry["source"] == "whitehouse"
    assert sorted(d["source"] for d in entry["linked"]) == ["federal-register", "federal-register-inspection"]


def test_same_title_a_year_apart_is_not_linked(session):
    _store(session, _white_house_order(published=date(2024, 1, 23)))
    _store(session, _item())
    assert len(_queue(session)) == 2


def test_a_fact_sheet_with_the_order_title_is_not_the_order(session):
    _store(session, _white_house_order(doc_type="press_release"))
    _store(session, _item())
    assert len(_queue(session)) == 2


def test_change_to_a_linked_document_flags_the_item(session):
    _store(session, _inspection_filing())
    _store(session, _item())
    [(primary, triage)] = documents.list_queue(session)
    triage.updated = False
    session.commit()
    _store(session, _item(content_hash="fr2", summary="Corrected abstract"))
    [entry] = _queue(session)
    assert entry["updated"] is True
    assert session.scalars(select(TriageEvent.action).order_by(TriageEvent.id)).all()[-1] == "linked_updated"


def test_the_earliest_appearance_is_the_item_whichever_was_stored_first(session):
    _store(session, _item())                # a crawl happened to store the printing first
    [(printing, triage)] = documents.list_queue(session)
    triage.status, triage.note = "accepted", "for the February bulletin"
    session.commit()
    _store(session, _white_house_order())   # signed a week before it was printed
    [entry] = _queue(session)
    assert entry["source"] == "whitehouse" and [d["id"] for d in entry["linked"]] == [printing.id]
    # The reviewers' decision on the printing is not lost with it.
    assert entry["status"] == "accepted"


def test_state_bill_from_legiscan_and_from_the_legislature_is_one_item(session):
    runs.sync_sources(session, [SourceConfig(id=s, spider="feed", urls=["https://example.gov/feed"])
                                for s in ("legiscan", "nj-legislature")])
    page = "https://www.njleg.state.nj.us/bill-search/2024/S3742"
    common = dict(title="Regulates use of artificial intelligence enabled hiring tools.", doc_type="bill",
                  published=date(2025, 1, 27))
    _store(session, _item(source="legiscan", url="https://legiscan.com/NJ/bill/S3742/2024", content_hash="l1",
                          identifiers={"bill_number": "NJ S3742", "state_url": page}, **common))
    _store(session, _item(source="nj-legislature", url=page, content_hash="n1",
                          identifiers={"bill_number": "NJ S3742"}, **common))
    [entry] = _queue(session)
    assert entry["source"] == "legiscan" and [d["source"] for d in entry["linked"]] == ["nj-legislature"]


def test_sightings_stored_at_the_same_moment_are_linked_when_seen_again(session):
    # Two crawls in parallel: each stored its sighting before the other's keys were committed.
    _store(session, _inspection_filing())
    saved = session.execute(select(DocumentLinkKey.document_id, DocumentLinkKey.key)).all()
    session.execute(delete(DocumentLinkKey))
    _store(session, _item())
    session.execute(insert(DocumentLinkKey), [{"document_id": d, "key": k} for d, k in saved])
    session.commit()
    assert len(_queue(session)) == 2
    counts = _store(session, _inspection_filing())  # the next crawl sees the filing again, unchanged
    assert counts.unchanged == 1
    [entry] = _queue(session)
    assert entry["source"] == "federal-register-inspection" and len(entry["linked"]) == 1


def test_white_house_order_and_its_inspection_filing_are_one_item_before_the_printing(session):
    _store(session, _white_house_order())
    _store(session, _inspection_filing())   # "Artificial Intelligence: <the order's title> (EO 14179)"
    [entry] = _queue(session)
    assert entry["source"] == "whitehouse"
    assert [d["identifiers"]["executive_order_number"] for d in entry["linked"]] == ["14179"]
