"""reservations: bookings, their pets and add-ons, and the kennel-night / service-day occupancy tables

Revision ID: d27599a56104
Revises: e5a2c8f4d1b7
Create Date: 2026-12-02 10:18:51.308928

The occupancy tables make overbooking impossible in the database (see app/models/reservations.py):
primary keys of (kennel, night, slot) with slot <= capacity, and one household per kennel-night,
kept by an exclusion constraint on PostgreSQL and a trigger on SQLite.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd27599a56104'
down_revision = 'e5a2c8f4d1b7'
branch_labels = None
depends_on = None

TABLES = ("reservations", "reservation_pets", "reservation_addons", "kennel_nights", "service_days")
# The same policy as every tenant table (migrations/versions/c7e1a9d4b2f0_row_level_security.py).
TENANT_MATCHES = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.bypass', true)) = 'on'"
)
# Two households never share a kennel on a night; btree_gist lets one GiST index compare uuids
# and dates with = and <>. Concurrent inserts of clashing rows: one waits for the other and fails.
ONE_HOUSEHOLD = ("ALTER TABLE kennel_nights ADD CONSTRAINT ex_kennel_nights_one_household EXCLUDE USING gist "
                 "(tenant_id WITH =, kennel_id WITH =, night WITH =, customer_id WITH <>)")
ONE_HOUSEHOLD_SQLITE = """
CREATE TRIGGER kennel_nights_one_household BEFORE INSERT ON kennel_nights
WHEN EXISTS (SELECT 1 FROM kennel_nights k WHERE k.tenant_id = NEW.tenant_id AND k.kennel_id = NEW.kennel_id
             AND k.night = NEW.night AND k.customer_id != NEW.customer_id)
BEGIN SELECT RAISE(ABORT, 'ex_kennel_nights_one_household'); END
"""


def upgrade():
    # The composite targets of the occupancy tables' capacity keys come first (PostgreSQL checks them).
    with op.batch_alter_table('kennels', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_kennels_tenant_id_id_capacity'), ['tenant_id', 'id', 'capacity'])

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('daily_capacity', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_services_tenant_id_id_daily_capacity'), ['tenant_id', 'id', 'daily_capacity'])
        batch_op.create_check_constraint(batch_op.f('ck_services_daily_capacity_positive'),
                                         'daily_capacity IS NULL OR daily_capacity >= 1')

    op.create_table('reservations',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'CONFIRMED', 'CHECKED_IN', 'CHECKED_OUT', 'CANCELLED', 'NO_SHOW', name='reservationstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('source', sa.Enum('WEB', 'API', name='reservationsource', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('confirmation_code', sa.String(length=12), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('arrival_time', sa.Time(), nullable=True),
    sa.Column('departure_time', sa.Time(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('quote', sa.JSON(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('deposit_cents', sa.Integer(), nullable=False),
    sa.Column('vaccine_override_reason', sa.Text(), nullable=False),
    sa.Column('vaccine_override_by', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(length=200), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by', sa.String(length=200), nullable=False),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_out_by', sa.String(length=200), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=200), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('no_show_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('no_show_by', sa.String(length=200), nullable=False),
    sa.Column('belongings', sa.JSON(), nullable=False),
    sa.Column('stay_medications', sa.JSON(), nullable=False),
    sa.Column('feeding_confirmed', sa.Boolean(), nullable=False),
    sa.Column('check_in_notes', sa.Text(), nullable=False),
    sa.Column('belongings_returned', sa.Boolean(), nullable=False),
    sa.Column('check_out_notes', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_reservations_dates_in_order')),
    sa.CheckConstraint('total_cents >= 0 AND deposit_cents >= 0 AND deposit_cents <= total_cents', name=op.f('ck_reservations_money_in_range')),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_reservations_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'service_id'], ['services.tenant_id', 'services.id'], name=op.f('fk_reservations_tenant_id_service_id_services')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reservations_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations')),
    sa.UniqueConstraint('tenant_id', 'confirmation_code', name=op.f('uq_reservations_tenant_id_confirmation_code')),
    sa.UniqueConstraint('tenant_id', 'id', 'customer_id', name=op.f('uq_reservations_tenant_id_id_customer_id')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_reservations_tenant_id_id'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_tenant_customer', ['tenant_id', 'customer_id', 'start_date'], unique=False)
        batch_op.create_index('ix_reservations_tenant_end', ['tenant_id', 'end_date'], unique=False)
        batch_op.create_index('ix_reservations_tenant_service', ['tenant_id', 'service_id', 'start_date'], unique=False)
        batch_op.create_index('ix_reservations_tenant_start', ['tenant_id', 'start_date'], unique=False)
        batch_op.create_index('ix_reservations_tenant_status', ['tenant_id', 'status', 'start_date'], unique=False)

    op.create_table('reservation_addons',
    sa.Column('reservation_id', sa.Uuid(), nullable=False),
    sa.Column('addon_id', sa.Uuid(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_reservation_addons_quantity_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'addon_id'], ['addons.tenant_id', 'addons.id'], name=op.f('fk_reservation_addons_tenant_id_addon_id_addons')),
    sa.ForeignKeyConstraint(['tenant_id', 'reservation_id'], ['reservations.tenant_id', 'reservations.id'], name=op.f('fk_reservation_addons_tenant_id_reservation_id_reservations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reservation_addons_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('reservation_id', 'addon_id', name=op.f('pk_reservation_addons'))
    )
    with op.batch_alter_table('reservation_addons', schema=None) as batch_op:
        batch_op.create_index('ix_reservation_addons_tenant_addon', ['tenant_id', 'addon_id'], unique=False)

    op.create_table('reservation_pets',
    sa.Column('reservation_id', sa.Uuid(), nullable=False),
    sa.Column('pet_id', sa.Uuid(), nullable=False),
    sa.Column('kennel_id', sa.Uuid(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'kennel_id'], ['kennels.tenant_id', 'kennels.id'], name=op.f('fk_reservation_pets_tenant_id_kennel_id_kennels')),
    sa.ForeignKeyConstraint(['tenant_id', 'pet_id'], ['pets.tenant_id', 'pets.id'], name=op.f('fk_reservation_pets_tenant_id_pet_id_pets')),
    sa.ForeignKeyConstraint(['tenant_id', 'reservation_id'], ['reservations.tenant_id', 'reservations.id'], name=op.f('fk_reservation_pets_tenant_id_reservation_id_reservations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reservation_pets_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('reservation_id', 'pet_id', name=op.f('pk_reservation_pets')),
    sa.UniqueConstraint('tenant_id', 'reservation_id', 'pet_id', name=op.f('uq_reservation_pets_tenant_id_reservation_id_pet_id'))
    )
    with op.batch_alter_table('reservation_pets', schema=None) as batch_op:
        batch_op.create_index('ix_reservation_pets_tenant_kennel', ['tenant_id', 'kennel_id'], unique=False)
        batch_op.create_index('ix_reservation_pets_tenant_pet', ['tenant_id', 'pet_id'], unique=False)

    op.create_table('kennel_nights',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('kennel_id', sa.Uuid(), nullable=False),
    sa.Column('night', sa.Date(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.Uuid(), nullable=False),
    sa.Column('pet_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('slot >= 1 AND slot <= capacity', name=op.f('ck_kennel_nights_slot_within_capacity')),
    sa.ForeignKeyConstraint(['tenant_id', 'kennel_id', 'capacity'], ['kennels.tenant_id', 'kennels.id', 'kennels.capacity'], name=op.f('fk_kennel_nights_tenant_id_kennel_id_capacity_kennels'), onupdate='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'reservation_id', 'customer_id'], ['reservations.tenant_id', 'reservations.id', 'reservations.customer_id'], name=op.f('fk_kennel_nights_tenant_id_reservation_id_customer_id_reservations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'reservation_id', 'pet_id'], ['reservation_pets.tenant_id', 'reservation_pets.reservation_id', 'reservation_pets.pet_id'], name=op.f('fk_kennel_nights_tenant_id_reservation_id_pet_id_reservation_pets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_kennel_nights_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'kennel_id', 'night', 'slot', name=op.f('pk_kennel_nights')),
    sa.UniqueConstraint('tenant_id', 'reservation_id', 'pet_id', 'night', name=op.f('uq_kennel_nights_tenant_id_reservation_id_pet_id_night'))
    )
    with op.batch_alter_table('kennel_nights', schema=None) as batch_op:
        batch_op.create_index('ix_kennel_nights_tenant_night', ['tenant_id', 'night', 'kennel_id'], unique=False)

    op.create_table('service_days',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('reservation_id', sa.Uuid(), nullable=False),
    sa.Column('pet_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('slot >= 1 AND slot <= capacity', name=op.f('ck_service_days_slot_within_capacity')),
    sa.ForeignKeyConstraint(['tenant_id', 'reservation_id', 'pet_id'], ['reservation_pets.tenant_id', 'reservation_pets.reservation_id', 'reservation_pets.pet_id'], name=op.f('fk_service_days_tenant_id_reservation_id_pet_id_reservation_pets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'service_id', 'capacity'], ['services.tenant_id', 'services.id', 'services.daily_capacity'], name=op.f('fk_service_days_tenant_id_service_id_capacity_services'), onupdate='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_service_days_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'service_id', 'day', 'slot', name=op.f('pk_service_days')),
    sa.UniqueConstraint('tenant_id', 'reservation_id', 'pet_id', 'day', name=op.f('uq_service_days_tenant_id_reservation_id_pet_id_day'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(ONE_HOUSEHOLD)
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")
    else:
        op.execute(ONE_HOUSEHOLD_SQLITE)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS kennel_nights_one_household")
    op.drop_table('service_days')
    with op.batch_alter_table('kennel_nights', schema=None) as batch_op:
        batch_op.drop_index('ix_kennel_nights_tenant_night')

    op.drop_table('kennel_nights')
    with op.batch_alter_table('reservation_pets', schema=None) as batch_op:
        batch_op.drop_index('ix_reservation_pets_tenant_pet')
        batch_op.drop_index('ix_reservation_pets_tenant_kennel')

    op.drop_table('reservation_pets')
    with op.batch_alter_table('reservation_addons', schema=None) as batch_op:
        batch_op.drop_index('ix_reservation_addons_tenant_addon')

    op.drop_table('reservation_addons')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_tenant_status')
        batch_op.drop_index('ix_reservations_tenant_start')
        batch_op.drop_index('ix_reservations_tenant_service')
        batch_op.drop_index('ix_reservations_tenant_end')
        batch_op.drop_index('ix_reservations_tenant_customer')

    op.drop_table('reservations')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_services_daily_capacity_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_services_tenant_id_id_daily_capacity'), type_='unique')
        batch_op.drop_column('daily_capacity')

    with op.batch_alter_table('kennels', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_kennels_tenant_id_id_capacity'), type_='unique')
