namespace FluxGate.Storage.Schema;

/// <summary>
/// The schema, as numbered steps applied once each, in order. Never edit a released step: append a new one.
/// Each step is also idempotent on its own (IF NOT EXISTS), so a database created by hand or half-migrated
/// before <c>schema_version</c> existed still converges.
/// </summary>
public static class Migrations
{
    public static IReadOnlyList<(int Version, string Description, string Sql)> All { get; } =
    [
        (1, "products, orders, dead letters, applied offsets",
            """
            CREATE TABLE IF NOT EXISTS products (
                id            text        PRIMARY KEY,
                stock         integer     NOT NULL,
                initial_stock integer     NOT NULL,
                updated_at    timestamptz NOT NULL
            );

            CREATE TABLE IF NOT EXISTS orders (
                id              uuid        PRIMARY KEY,
                product_id      text        NOT NULL,
                user_id         text        NOT NULL,
                idempotency_key text,
                status          text        NOT NULL DEFAULT 'accepted',
                accepted_at     timestamptz NOT NULL,
                created_at      timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS orders_product_id_idx ON orders (product_id);

            -- The raw message of every event that can never be applied, and why. One row per Kafka
            -- position, so a replayed batch does not dead-letter the same message twice.
            CREATE TABLE IF NOT EXISTS dead_letters (
                id          bigserial   PRIMARY KEY,
                topic       text        NOT NULL,
                "partition" integer     NOT NULL,
                "offset"    bigint      NOT NULL,
                key         bytea,
                payload     bytea,
                error       text        NOT NULL,
                failed_at   timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT dead_letters_position_key UNIQUE (topic, "partition", "offset")
            );

            -- Where each partition has been applied up to, written in the same transaction as the batch:
            -- a batch replayed after a crash between the database commit and the Kafka offset commit is
            -- recognised and skipped, so even a StockInitialized is never applied twice.
            CREATE TABLE IF NOT EXISTS applied_offsets (
                topic       text        NOT NULL,
                "partition" integer     NOT NULL,
                next_offset bigint      NOT NULL,
                updated_at  timestamptz NOT NULL,
                PRIMARY KEY (topic, "partition")
            );
            """),
        (2, "products.initialized_at: when the product's last StockInitialized happened (the api's invariant report counts orders from there)",
            """
            ALTER TABLE products ADD COLUMN IF NOT EXISTS initialized_at timestamptz;
            """),
        (3, "orders.signed_in: placed with a shopper token, so only that shopper (or the admin key) may cancel it",
            """
            ALTER TABLE orders ADD COLUMN IF NOT EXISTS signed_in boolean NOT NULL DEFAULT false;
            """),
        (4, "products.starts_at: when a scheduled drop opens, so that a product restored from here still waits for it",
            """
            ALTER TABLE products ADD COLUMN IF NOT EXISTS starts_at timestamptz;
            """),
    ];

    public static int LatestVersion => All[^1].Version;
}
