-- 0017: /notifications. A player may opt in to a DM when someone joins the queue in their range,
-- at most one per `every_minutes`, never while in a match or queueing themselves.
--
-- Exactly once: the alerts a join causes are claimed in one statement (queue_alerts_sent, keyed
-- by the join and the player) and each player's `last_sent_at` moves in the same transaction, so a
-- redelivered job finds its own claims and answers the same players, and two joins at the same
-- instant alert a player once (the second sees last_sent_at = now).

CREATE TABLE queue_alerts (
    discord_user_id bigint      PRIMARY KEY REFERENCES players (discord_user_id) ON DELETE CASCADE,
    every_minutes   integer     NOT NULL CHECK (every_minutes BETWEEN 5 AND 1440),
    last_sent_at    timestamptz,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE queue_alerts_sent (
    join_key        text        NOT NULL,
    discord_user_id bigint      NOT NULL,
    sent_at         timestamptz NOT NULL,
    PRIMARY KEY (join_key, discord_user_id)
);
CREATE INDEX queue_alerts_sent_at_idx ON queue_alerts_sent (sent_at);

-- How far a rating may be from a joiner's to count as "in range": the matchmaking window of a
-- player's first wave (100 + 50 per wave waited; DOMAIN: the first wave's window is 150).
CREATE FUNCTION ladder_alert_window() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 150';
-- At most this many alerts per join (the closest ratings first): one join never fans out to a crowd.
CREATE FUNCTION ladder_alert_limit() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 50';

-- /notifications: p_every minutes (NULL: off). Answers {status: ok, every_minutes} or {guard}.
CREATE FUNCTION ladder_alerts_set(p_user bigint, p_every integer, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_guard text := ladder_guard(p_user, true, false);
BEGIN
    IF v_guard IS NOT NULL THEN
        RETURN jsonb_build_object('guard', v_guard);
    END IF;
    IF p_every IS NULL THEN
        DELETE FROM queue_alerts WHERE discord_user_id = p_user;
    ELSE
        INSERT INTO queue_alerts (discord_user_id, every_minutes, updated_at) VALUES (p_user, p_every, p_now)
        ON CONFLICT (discord_user_id) DO UPDATE SET every_minutes = EXCLUDED.every_minutes, updated_at = p_now;
    END IF;
    RETURN jsonb_build_object('status', 'ok', 'every_minutes', p_every);
END $$;

-- A join's alerts: the subscribers whose rating on a race of the other game is within the window
-- of a race the joiner queued with, who are free (no match, not queueing, not banned) and were
-- not alerted within their interval. Claimed here, once per join. Answers
-- {joiner: {name, races: [[race, mmr]]}, alerted: [{user_id, race, mmr}]}.
CREATE FUNCTION ladder_queue_alerts(p_join_key text, p_joiner bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_entry queue_entries%ROWTYPE;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM queue_alerts_sent WHERE join_key = p_join_key) THEN
        SELECT * INTO v_entry FROM queue_entries WHERE discord_user_id = p_joiner AND join_key = p_join_key;
        IF FOUND THEN
            WITH joined (game, mmr) AS (
                VALUES ('bw', v_entry.bw_mmr), ('sc2', v_entry.sc2_mmr)
            ), candidates AS (
                SELECT a.discord_user_id, m.race, m.mmr,
                       min(abs(m.mmr - j.mmr)) OVER (PARTITION BY a.discord_user_id) AS closest,
                       row_number() OVER (PARTITION BY a.discord_user_id ORDER BY abs(m.mmr - j.mmr), m.race) AS nth
                FROM queue_alerts a
                JOIN players p ON p.discord_user_id = a.discord_user_id
                JOIN preferences_1v1 f ON f.discord_user_id = a.discord_user_id
                JOIN mmrs_1v1 m ON m.discord_user_id = a.discord_user_id AND m.race = ANY(f.last_chosen_races)
                JOIN joined j ON j.mmr IS NOT NULL AND split_part(m.race, '_', 1) <> j.game
                WHERE a.discord_user_id <> p_joiner
                  AND (a.last_sent_at IS NULL OR a.last_sent_at <= p_now - make_interval(mins => a.every_minutes))
                  AND p.active_match_id IS NULL AND p.banned_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM queue_entries q WHERE q.discord_user_id = a.discord_user_id)
                  AND abs(m.mmr - j.mmr) <= ladder_alert_window()
            ), chosen AS (
                SELECT discord_user_id FROM candidates WHERE nth = 1
                ORDER BY closest, discord_user_id LIMIT ladder_alert_limit()
            ), claimed AS (
                -- The row lock serialises two joins' claims on one player: the second re-checks.
                UPDATE queue_alerts a SET last_sent_at = p_now
                FROM chosen c
                WHERE a.discord_user_id = c.discord_user_id
                  AND (a.last_sent_at IS NULL OR a.last_sent_at <= p_now - make_interval(mins => a.every_minutes))
                RETURNING a.discord_user_id
            )
            INSERT INTO queue_alerts_sent (join_key, discord_user_id, sent_at)
            SELECT p_join_key, discord_user_id, p_now FROM claimed;
        END IF;
    END IF;
    RETURN jsonb_build_object(
        'joiner', (SELECT jsonb_build_object('name', p.player_name, 'user_id', p.discord_user_id::text)
                   FROM players p WHERE p.discord_user_id = p_joiner),
        'alerted', coalesce((SELECT jsonb_agg(s.discord_user_id::text ORDER BY s.discord_user_id)
                             FROM queue_alerts_sent s WHERE s.join_key = p_join_key), '[]'::jsonb));
END $$;

-- The claims only need to outlive a re-run of their job (a day, like the idempotency records):
-- the housekeeping tick removes older ones, a bounded batch at a time.
CREATE FUNCTION ladder_prune_queue_alerts(p_older_than_days integer) RETURNS jsonb
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM queue_alerts_sent
        WHERE (join_key, discord_user_id) IN (
            SELECT join_key, discord_user_id FROM queue_alerts_sent
            WHERE sent_at < now() - make_interval(days => p_older_than_days)
            ORDER BY sent_at
            LIMIT 1000
        )
        RETURNING 1
    )
    SELECT jsonb_build_object('deleted', count(*)) FROM gone
$$;

-- Join (0008's five-argument form) also says whether anyone may be alerted of it, so a join
-- publishes its alerts job only then: a ladder where nobody subscribed pays nothing per join.
CREATE OR REPLACE FUNCTION ladder_queue_join(p_user bigint, p_key text, p_now timestamptz, p_application text,
                                             p_token text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_result jsonb := ladder_queue_join(p_user, p_key, p_now);
BEGIN
    IF v_result->>'status' = 'joined' AND nullif(p_token, '') IS NOT NULL THEN
        UPDATE queue_entries SET join_application_id = p_application, join_token = p_token
        WHERE discord_user_id = p_user AND join_key = p_key;
    END IF;
    IF v_result->>'status' = 'joined' THEN
        v_result := v_result || jsonb_build_object('alerts', EXISTS (
            SELECT 1 FROM queue_alerts a
            WHERE a.discord_user_id <> p_user
              AND (a.last_sent_at IS NULL OR a.last_sent_at <= p_now - make_interval(mins => a.every_minutes))));
    END IF;
    RETURN v_result;
END $$;
