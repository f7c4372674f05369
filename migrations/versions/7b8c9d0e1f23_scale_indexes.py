"""scale indexes: the reservation list's sort order, and invoices by the moment they were issued or voided

Measured with bench/scale.py on a seed-scale database (one resort with two years of history among 200):

- ix_reservations_tenant_list (tenant_id, start_date, created_at, id) is the list's ORDER BY, so a page
  (first or deep) is read from the index, ids only, instead of sorting every reservation of the tenant
  (an external merge sort on disk for a deep page at 40,000 reservations).
- ix_invoices_tenant_issued / ix_invoices_tenant_voided serve the daily close-out's
  `issued_at in the day OR voided_at in the day` as two index scans (a BitmapOr) instead of a
  sequential scan of every invoice the tenant ever issued.

Revision ID: 7b8c9d0e1f23
Revises: 6f7a8b9cadb1
Create Date: 2026-12-03 06:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '7b8c9d0e1f23'
down_revision = '6f7a8b9cadb1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_tenant_list', ['tenant_id', 'start_date', 'created_at', 'id'],
                              unique=False)
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_tenant_issued', ['tenant_id', 'issued_at'], unique=False)
        batch_op.create_index('ix_invoices_tenant_voided', ['tenant_id', 'voided_at'], unique=False)


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_tenant_voided')
        batch_op.drop_index('ix_invoices_tenant_issued')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_tenant_list')
