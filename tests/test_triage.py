"""Decisions on items, their audit trail, the item detail, and user accounts, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from crawler.storage.documents import Evidence, store_items
from crawler.storage.models import TriageEvent, TriageState
from editorial import triage, users
from tests.triage_items import item, store

TODAY = date(2025, 1, 20)


@pytest.fixture
def ids(session):
    return store(session,
                 item("federal-register", "https://fr.example/d/1", "Framework for AI Diffusion", date(2025, 1, 15),
                      identifiers={"fr_document_number": "2025-00636"}),
                 item("cac", "https://cac.example/a/1", "人工智能安全治理框架", date(2025, 1, 10), jurisdiction="CN"),
                 item("cac", "https://cac.example/a/2", "网络数据安全管理条例", date(2025, 1, 11), jurisdiction="CN"))


def _state(session, doc_id: int) -> TriageState:
    session.expire_all()
    return session.get(TriageState, doc_id)


def test_accept_puts_items_in_a_month_and_section_and_records_who(session, ids):
    triage.accept(session, ids[:2], "li", "2025-01", "law")
    session.commit()
    for doc_id in ids[:2]:
        state = _state(session, doc_id)
        assert (state.status, state.bulletin_month, state.section) == ("accepted", "2025-01", "law")
        [event] = triage.history(session, doc_id)
        assert (event.actor, event.action, event.detail) == ("li", "accept", {"month": "2025-01", "section": "law"})
    assert _state(session, ids[2]).status == "new"


@pytest.mark.parametrize(("month", "section", "message"), [
    ("2025-13", "law", "bulletin month '2025-13'"), ("Jan 2025", "law", "use YYYY-MM"),
    ("2025-01", "sports", "section 'sports': use one of law, industry")])
def test_accept_refuses_an_invalid_month_or_section(session, ids, month, section, message):
    with pytest.raises(triage.TriageError, match=message):
        triage.accept(session, ids[:1], "li", month, section)


def test_accept_takes_the_configured_sections(session, ids):
    triage.accept(session, ids[:1], "li", "2025-01", "standards", sections=("law", "standards"))
    assert _state(session, ids[0]).section == "standards"


def test_a_selection_with_an_unknown_id_changes_nothing(session, ids):
    with pytest.raises(triage.TriageError, match="no item 999999"):
        triage.reject(session, [ids[0], 999999], "li", "off topic")
    session.rollback()
    assert _state(session, ids[0]).status == "new"
    assert session.scalars(select(TriageEvent).where(TriageEvent.action == "reject")).all() == []


def test_reject_snooze_assign_reopen_each_leave_an_event(session, ids):
    doc = ids[0]
    triage.reject(session, [doc], "li", "not about AI")
    assert (_state(session, doc).status, _state(session, doc).reason) == ("rejected", "not about AI")
    triage.snooze(session, [doc], "wang", date(2025, 3, 1), today=TODAY)
    assert (_state(session, doc).status, _state(session, doc).snoozed_until) == ("snoozed", date(2025, 3, 1))
    triage.assign(session, [doc], "wang", "zhang")
    assert (_state(session, doc).status, _state(session, doc).assignee) == ("snoozed", "zhang")
    triage.reopen(session, [doc], "li")
    state = _state(session, doc)
    assert (state.status, state.snooze_until, state.reason, state.assignee) == ("new", None, None, "zhang")
    session.commit()
    assert [(e.actor, e.action) for e in triage.history(session, doc)] == [
        ("li", "reject"), ("wang", "snooze"), ("wang", "assign"), ("li", "reopen")]
    assert triage.history(session, doc)[1].detail == {"until": "2025-03-01"}


def test_snooze_needs_a_day_after_today(session, ids):
    with pytest.raises(triage.TriageError, match="after today"):
        triage.snooze(session, ids[:1], "li", TODAY, today=TODAY)


def test_deciding_clears_the_updated_flag_and_a_new_version_sets_it_again(session, ids):
    changed = item("federal-register", "https://fr.example/d/1", "Framework for AI Diffusion", date(2025, 1, 15),
                   identifiers={"fr_document_number": "2025-00636"}, content_hash="v2")
    store_items(session, "federal-register", [(changed, None)])
    assert _state(session, ids[0]).updated is True
    triage.accept(session, ids[:1], "li", "2025-01", "law")
    assert _state(session, ids[0]).updated is False


def test_notes_and_editorial_title_are_kept_with_their_author(session, ids):
    triage.add_note(session, ids[1], "li", "Compare with the TC260 draft.")
    triage.set_editorial(session, ids[1], "wang", "《人工智能安全治理框架》发布", "网信办发布框架 1.0 版。")
    session.commit()
    detail = triage.item_detail(session, ids[1])
    assert [(n.actor, n.text) for n in detail.notes] == [("li", "Compare with the TC260 draft.")]
    assert (detail.state.editorial_title, detail.state.editorial_summary) == (
        "《人工智能安全治理框架》发布", "网信办发布框架 1.0 版。")
    assert [e.action for e in detail.events] == ["note", "editorial"]
    with pytest.raises(triage.TriageError, match="needs some text"):
        triage.add_note(session, ids[1], "li", "   ")


def test_item_detail_has_identifiers_versions_with_warc_refs_and_events(session, ids):
    changed = item("federal-register", "https://fr.example/d/1", "Framework for AI Diffusion", date(2025, 1, 15),
                   identifiers={"fr_document_number": "2025-00636"}, content_hash="v2")
    store_items(session, "federal-register", [(changed, Evidence("fr/run2.warc.gz", 512, "<urn:uuid:2>"))])
    detail = triage.item_detail(session, ids[0])
    assert detail.document.title == "Framework for AI Diffusion"
    assert detail.identifiers == {"fr_document_number": "2025-00636"}
    assert [(v.version, v.warc_file, v.warc_offset) for v in detail.versions] == [
        (1, None, None), (2, "fr/run2.warc.gz", 512)]
    assert [(e.actor, e.action) for e in detail.events] == [("regwatch", "updated")]
    with pytest.raises(triage.TriageError, match="no item 424242"):
        triage.item_detail(session, 424242)


def test_users_log_in_with_their_password_only(session):
    users.add_user(session, "li.ming", "editor", "correct horse battery")
    users.add_user(session, "guest", "viewer", "viewer password")
    session.commit()
    user = users.authenticate(session, "li.ming", "correct horse battery")
    assert user is not None and user.role == "editor"
    assert not user.password_hash.count("correct horse")  # stored hashed
    assert user.password_hash.startswith("$argon2id$")
    assert users.authenticate(session, "li.ming", "wrong password") is None
    assert users.authenticate(session, "nobody", "correct horse battery") is None
    assert [u.name for u in users.list_users(session)] == ["guest", "li.ming"]


def test_user_language_is_remembered_and_bad_input_refused(session):
    users.add_user(session, "wang", "viewer", "a long password")
    users.set_language(session, "wang", "en")
    session.commit()
    session.expire_all()
    assert users.get_user(session, "wang").language == "en"
    with pytest.raises(users.UserError, match="role 'admin'"):
        users.add_user(session, "x", "admin", "a long password")
    with pytest.raises(users.UserError, match="at least 8"):
        users.add_user(session, "x", "viewer", "short")
    with pytest.raises(users.UserError, match="language 'fr'"):
        users.set_language(session, "wang", "fr")


def _cli_config(tmp_path, database_url):
    from tests.conftest import write_config

    return write_config(tmp_path, [], storage={"url": database_url})


def test_regwatch_triage_decides_and_prints_the_history(tmp_path, database_url, session, ids):
    from tests.conftest import regwatch

    path = _cli_config(tmp_path, database_url)
    done = regwatch(path, "triage", f"{ids[0]},{ids[1]}", "accept", "--month", "2025-01", "--actor", "li",
                    "--section", "law")
    assert done.returncode == 0, done.stderr
    assert f"item {ids[0]}, {ids[1]}: accepted into 2025-01 / law" in done.stdout
    assert regwatch(path, "triage", str(ids[2]), "reject", "--reason", "不相关").returncode == 0
    assert _state(session, ids[0]).status == "accepted" and _state(session, ids[2]).reason == "不相关"
    shown = regwatch(path, "triage", str(ids[0]), "history")
    assert "li  accept  (month=2025-01, section=law)" in shown.stdout
    bad = regwatch(path, "triage", str(ids[0]), "accept", "--month", "2025-01", "--section", "sports")
    assert bad.returncode == 1 and "section 'sports'" in bad.stderr
    missing = regwatch(path, "triage", "424242", "reopen")
    assert missing.returncode == 1 and "no item 424242" in missing.stderr


def test_regwatch_user_add_reads_the_password_from_stdin(tmp_path, database_url, session):
    import subprocess
    import sys

    path = _cli_config(tmp_path, database_url)
    command = [sys.executable, "-m", "regwatch", "--config", str(path), "user", "add", "li", "--role", "viewer",
               "--password-stdin"]
    done = subprocess.run(command, input="a strong password\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "user li (viewer) ready" in done.stdout
    session.expire_all()
    assert users.authenticate(session, "li", "a strong password").role == "viewer"
    short = subprocess.run(command, input="short\n", capture_output=True, text=True, timeout=60)
    assert short.returncode == 2 and "at least 8" in short.stderr


def test_a_decision_on_another_sources_sighting_applies_to_its_item(session, ids):
    from crawler.storage.models import Document

    session.get(Document, ids[2]).linked_to = ids[1]
    session.commit()
    triage.accept(session, [ids[2]], "li", "2025-01", "law")
    session.commit()
    assert _state(session, ids[1]).status == "accepted"
    assert [e.action for e in triage.history(session, ids[1])] == ["accept"]
    detail = triage.item_detail(session, ids[2])
    assert detail.state.document_id == ids[1] and [d.id for d in detail.linked] == [ids[1]]
