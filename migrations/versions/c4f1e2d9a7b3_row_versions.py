"""row versions: an integer version on every editable table (ETags, If-Match in the UPDATE)

Revision ID: c4f1e2d9a7b3
Revises: d4e8a1c7b9f2
Create Date: 2026-12-02 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4f1e2d9a7b3'
down_revision = 'd4e8a1c7b9f2'
branch_labels = None
depends_on = None

# Every table whose rows are edited through an ETag or a versioned form.
TABLES = ('tenants', 'users', 'customers', 'pets', 'vaccinations', 'vaccine_requirements',
          'services', 'addons', 'price_rules', 'kennels')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            # server_default: rows that exist before this migration start at version 1.
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('version')
