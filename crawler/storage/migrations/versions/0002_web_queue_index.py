"""queue index: one covering index for the web queue's filters and order

Revision ID: 0002_web_queue_index
Revises: 0002_web

The queue filters (source, jurisdiction, category, type, date, relevance) and orders (newest,
then most relevant) documents that are not another item's sighting. Reading those columns from
the documents table means reading every row whole, texts included (100,000 documents: ~200 ms
on SQLite); this index holds them all, so counting and paging never touch the table rows but the
page's fifty. (benchmarks/bench_web.py)
"""

from alembic import op

revision = "0002_web_queue_index"
down_revision = "0002_web"
branch_labels = None
depends_on = "0004_linked_items"  # it indexes documents.linked_to, which 0004 adds
COLUMNS = ["linked_to", "published", "relevance_score", "source_id", "jurisdiction", "category", "doc_type"]


def upgrade() -> None:
    op.create_index("ix_documents_queue", "documents", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_documents_queue", table_name="documents")
