"""pending answers: a response is stored first, its answers expanded after

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:30:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PENDING = sa.text('pending IS NOT NULL')


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.JSON(none_as_null=True), nullable=True))
        batch_op.create_index(
            'ix_response_pending',
            ['submitted_at'],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_pending')
        batch_op.drop_column('pending')
