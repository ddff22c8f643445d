"""released flags: the safeguarding lead lets an answer with no risk back into reports

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('safeguardingflag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('released_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_safeguardingflag_released_by_user'),
            'user',
            ['released_by'],
            ['id'],
        )


def downgrade():
    with op.batch_alter_table('safeguardingflag', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_safeguardingflag_released_by_user'), type_='foreignkey'
        )
        batch_op.drop_column('released_by')
        batch_op.drop_column('released_at')
