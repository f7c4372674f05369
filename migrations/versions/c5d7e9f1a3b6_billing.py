"""billing: invoices and lines, payments, refunds, the account-credit ledger, per-tenant billing settings

Revision ID: c5d7e9f1a3b6
Revises: d8f0a2c4e6b7
Create Date: 2026-12-04 09:00:00

Every new table is tenant-scoped and gets the same row-level security policy as every other
tenant table (migrations/versions/d27599a56104_reservations.py). billing_settings doubles as the
per-tenant invoice-number counter (locked FOR UPDATE when an invoice is issued).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5d7e9f1a3b6'
down_revision = "d8f0a2c4e6b7"
branch_labels = None
depends_on = None

TABLES = ("billing_settings", "invoices", "invoice_lines", "payments", "refunds", "ledger_entries")
# The same policy as every tenant table (migrations/versions/c7e1a9d4b2f0_row_level_security.py).
TENANT_MATCHES = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.bypass', true)) = 'on'"
)


def upgrade():
    op.create_table('billing_settings',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_prefix', sa.String(length=12), nullable=False),
    sa.Column('next_invoice_number', sa.Integer(), nullable=False),
    sa.Column('cancellation_policy', sa.JSON(), nullable=False),
    sa.Column('late_checkout_time', sa.String(length=5), nullable=False),
    sa.Column('late_fee_cents', sa.Integer(), nullable=False),
    sa.Column('card_gateway', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("card_gateway IN ('MANUAL', 'HTTP')", name=op.f('ck_billing_settings_gateway_known')),
    sa.CheckConstraint('late_fee_cents >= 0', name=op.f('ck_billing_settings_late_fee_not_negative')),
    sa.CheckConstraint('next_invoice_number >= 1', name=op.f('ck_billing_settings_counter_positive')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_billing_settings_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_billing_settings'))
    )
    op.create_table('ledger_entries',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('INVOICE', 'ADJUSTMENT', 'VOID', 'PAYMENT', 'CREDIT_APPLIED', 'REFUND', 'CANCELLATION', name='ledgerkind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('debit_cents', sa.Integer(), nullable=False),
    sa.Column('credit_cents', sa.Integer(), nullable=False),
    sa.Column('credit_change_cents', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Uuid(), nullable=True),
    sa.Column('payment_id', sa.Uuid(), nullable=True),
    sa.Column('refund_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('debit_cents >= 0 AND credit_cents >= 0', name=op.f('ck_ledger_entries_sides_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_ledger_entries_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_ledger_entries_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_tenant_customer', ['tenant_id', 'customer_id', 'created_at'], unique=False)

    op.create_table('invoices',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('reservation_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Enum('DRAFT', 'ISSUED', 'PARTIALLY_PAID', 'PAID', 'VOID', name='invoicestatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('tax_cents', sa.Integer(), nullable=False),
    sa.Column('paid_cents', sa.Integer(), nullable=False),
    sa.Column('deposit_cents', sa.Integer(), nullable=False),
    sa.Column('deposit_paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by', sa.String(length=200), nullable=False),
    sa.Column('void_reason', sa.Text(), nullable=False),
    sa.Column('replaces_id', sa.Uuid(), nullable=True),
    sa.Column('cancellation', sa.JSON(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint("status = 'DRAFT' OR status = 'VOID' OR number IS NOT NULL", name=op.f('ck_invoices_issued_has_number')),
    sa.CheckConstraint('(number IS NULL) = (sequence IS NULL)', name=op.f('ck_invoices_numbered_together')),
    sa.CheckConstraint('total_cents >= 0 AND tax_cents >= 0 AND paid_cents >= 0 AND paid_cents <= total_cents', name=op.f('ck_invoices_money_in_range')),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_invoices_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'reservation_id'], ['reservations.tenant_id', 'reservations.id'], name=op.f('fk_invoices_tenant_id_reservation_id_reservations')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoices_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_invoices_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_invoices_tenant_id_number')),
    sa.UniqueConstraint('tenant_id', 'sequence', name=op.f('uq_invoices_tenant_id_sequence'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_tenant_customer', ['tenant_id', 'customer_id', 'status'], unique=False)
        batch_op.create_index('ix_invoices_tenant_reservation', ['tenant_id', 'reservation_id'], unique=False)
        batch_op.create_index('ix_invoices_tenant_status', ['tenant_id', 'status', 'issued_at'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('SERVICE', 'ADD_ON', 'DISCOUNT', 'SURCHARGE', 'FEE', 'PRODUCT', 'TAX', name='linekind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('adjustment', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("(kind = 'DISCOUNT' AND amount_cents <= 0) OR (kind <> 'DISCOUNT' AND amount_cents >= 0)", name=op.f('ck_invoice_lines_sign_follows_kind')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_invoice_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'invoice_id'], ['invoices.tenant_id', 'invoices.id'], name=op.f('fk_invoice_lines_tenant_id_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoice_lines_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines')),
    sa.UniqueConstraint('tenant_id', 'invoice_id', 'position', name=op.f('uq_invoice_lines_tenant_id_invoice_id_position'))
    )
    op.create_table('payments',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('applied_cents', sa.Integer(), nullable=False),
    sa.Column('credit_cents', sa.Integer(), nullable=False),
    sa.Column('refunded_cents', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('CASH', 'CARD', 'CHECK', 'BANK_TRANSFER', 'ACCOUNT_CREDIT', 'OTHER', name='paymentmethod', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('gateway', sa.String(length=20), nullable=False),
    sa.Column('gateway_reference', sa.String(length=100), nullable=False),
    sa.Column('deposit', sa.Boolean(), nullable=False),
    sa.Column('received_by', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0 AND applied_cents >= 0 AND credit_cents >= 0 AND applied_cents + credit_cents = amount_cents', name=op.f('ck_payments_amount_split')),
    sa.CheckConstraint('refunded_cents >= 0 AND refunded_cents <= amount_cents', name=op.f('ck_payments_refunds_within_amount')),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_payments_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'invoice_id'], ['invoices.tenant_id', 'invoices.id'], name=op.f('fk_payments_tenant_id_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_payments_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_payments_tenant_id_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_tenant_customer', ['tenant_id', 'customer_id', 'received_at'], unique=False)
        batch_op.create_index('ix_payments_tenant_invoice', ['tenant_id', 'invoice_id'], unique=False)
        batch_op.create_index('ix_payments_tenant_received', ['tenant_id', 'received_at'], unique=False)

    op.create_table('refunds',
    sa.Column('payment_id', sa.Uuid(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('invoice_cents', sa.Integer(), nullable=False),
    sa.Column('credit_cents', sa.Integer(), nullable=False),
    sa.Column('destination', sa.Enum('ORIGINAL_METHOD', 'ACCOUNT_CREDIT', name='refunddestination', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('gateway_reference', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('amount_cents > 0 AND invoice_cents >= 0 AND credit_cents >= 0 AND invoice_cents + credit_cents = amount_cents', name=op.f('ck_refunds_amount_split')),
    sa.ForeignKeyConstraint(['tenant_id', 'payment_id'], ['payments.tenant_id', 'payments.id'], name=op.f('fk_refunds_tenant_id_payment_id_payments')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_refunds_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_tenant_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_refunds_tenant_payment', ['tenant_id', 'payment_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_tenant_payment')
        batch_op.drop_index('ix_refunds_tenant_created')

    op.drop_table('refunds')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_tenant_received')
        batch_op.drop_index('ix_payments_tenant_invoice')
        batch_op.drop_index('ix_payments_tenant_customer')

    op.drop_table('payments')
    op.drop_table('invoice_lines')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_tenant_status')
        batch_op.drop_index('ix_invoices_tenant_reservation')
        batch_op.drop_index('ix_invoices_tenant_customer')

    op.drop_table('invoices')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_tenant_customer')

    op.drop_table('ledger_entries')
    op.drop_table('billing_settings')
