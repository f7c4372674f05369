"""reservation date indexes carry both dates: (tenant_id, start_date, end_date) and (tenant_id, end_date, start_date)

The day sheet, kennel grid, kennel cards and the reservation list by dates ask which stays touch a
range (`end_date >= first AND start_date <= last`). With one date per index, PostgreSQL fetched
every stay ending after the range's first day (the whole booked future) to test its arrival, or,
for a list page sorted by arrival, every stay that arrived before the range (88,000 rows fetched
and thrown away for one page at 100,000 reservations: tests/test_query_plans.py). With both dates
in each index the other date is tested in the index and only stays that touch are fetched.

Revision ID: a6d4e2f8c1b3
Revises: d27599a56104
Create Date: 2026-12-02 18:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a6d4e2f8c1b3'
down_revision = 'd27599a56104'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_tenant_start')
        batch_op.drop_index('ix_reservations_tenant_end')
        batch_op.create_index('ix_reservations_tenant_start', ['tenant_id', 'start_date', 'end_date'], unique=False)
        batch_op.create_index('ix_reservations_tenant_end', ['tenant_id', 'end_date', 'start_date'], unique=False)


def downgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_tenant_end')
        batch_op.drop_index('ix_reservations_tenant_start')
        batch_op.create_index('ix_reservations_tenant_end', ['tenant_id', 'end_date'], unique=False)
        batch_op.create_index('ix_reservations_tenant_start', ['tenant_id', 'start_date'], unique=False)
