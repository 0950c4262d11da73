-- 0004: the worker's record of what it sent to Discord, and the /ping function.
--
-- Each message a job creates (a follow-up, a DM, a channel message, the DM sent instead of an
-- expired interaction edit) is recorded here under its delivery key right after Discord answered,
-- with the channel and message id Discord returned: a job that runs again (redelivery, Lambda
-- timeout, a crash after its first delivery) skips every key found here, and later deliveries edit
-- a recorded message by its key. The primary key is the exactly-once guarantee: a second record
-- of the same key is a no-op (ON CONFLICT DO NOTHING). The gap between Discord's answer and this
-- insert is closed by Discord's nonce + enforce_nonce (derived from the same key), which makes a
-- repeated creation return the first message instead of a second one.
--
-- outcome: 'sent' (channel_id and message_id set) or 'refused' (Discord answered a 4xx that a
-- retry cannot change, e.g. a user who does not accept DMs; never tried again).

CREATE TABLE deliveries (
    delivery_key text        PRIMARY KEY CHECK (length(delivery_key) BETWEEN 1 AND 200),
    kind         text        NOT NULL,
    job_key      text        NOT NULL,
    channel_id   bigint      NULL,
    message_id   bigint      NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('sent', 'refused')),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (outcome = 'refused' OR message_id IS NOT NULL)
);

-- /ping's round trip: proves the database answers, through the same port as every command.
CREATE FUNCTION ladder_ping() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('now', extract(epoch FROM clock_timestamp()))
$$;

-- The housekeeping tick: records older than the retention go, a bounded batch per tick, so one
-- tick never holds a long lock (the next tick continues).
CREATE INDEX deliveries_recorded_at_idx ON deliveries (recorded_at);

CREATE FUNCTION ladder_prune_deliveries(p_older_than_days integer) RETURNS jsonb
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM deliveries
        WHERE delivery_key IN (
            SELECT delivery_key FROM deliveries
            WHERE recorded_at < now() - make_interval(days => p_older_than_days)
            ORDER BY recorded_at
            LIMIT 1000
        )
        RETURNING 1
    )
    SELECT jsonb_build_object('deleted', count(*)) FROM gone
$$;
