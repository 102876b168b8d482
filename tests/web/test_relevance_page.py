"""The item page says why an item has its relevance: the prior, terms and model parts, the model's
version and its strongest features."""

from __future__ import annotations

from crawler.relevance_model import registry
from crawler.relevance_model.learning import rescore_open_items
from crawler.storage import db
from crawler.storage.models import Document


def test_item_page_shows_relevance_parts_model_version_and_strongest_features(editor, web_config, ids):
    model = registry.load(registry.STARTER_MODEL)
    with db.open_session(web_config.database_url) as session:
        assert rescore_open_items(session, web_config, model) >= 1
        document = session.get(Document, ids["cac"])
        features = [name for name, _ in document.relevance_detail["model"]["features"]]
        parts = document.relevance_detail["parts"]
    page = editor.get(f"/items/{ids['cac']}").text
    why = page[page.index('id="relevance-why"'):]
    why = why[:why.index("</dd>")]
    assert model.version in why and f"{parts['terms']:.2f}" in why and f"{parts['model']:.2f}" in why
    assert features and all(f">{name}</mark>" in why for name in features)
