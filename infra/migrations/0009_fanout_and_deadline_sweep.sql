-- 0009: a wave's fan-out is per match, and every confirmation deadline holds from this table.
--
-- A wave commits its matches in one transaction; each match is then announced by its own job
-- (the "match found" DMs), so one match's Discord trouble never delays another's. At Discord's
-- global limit (50 requests/s per bot) 10,000 players take minutes to tell, so a match's
-- confirmation window starts when it is announced (announced_at), not when the wave made it:
-- nobody gets less than the full window to confirm. A match whose announcement never happens
-- (its job lost or dead-lettered) is cancelled ANNOUNCE_LIMIT after creation, without penalty.
--
-- The confirmation timer is the fast path; the sweep (a tick) is the guarantee: both go through
-- ladder_abandon_matches under the match rows' locks, so a match is abandoned once whichever
-- comes first, and nobody stays in a match past its deadline + one tick.

ALTER TABLE matches_1v1 ADD COLUMN announced_at timestamptz;
-- Matches made by the previous release were announced by their wave.
UPDATE matches_1v1 SET announced_at = created_at WHERE announced_at IS NULL;

-- The sweep reads open confirmations by deadline.
CREATE INDEX matches_1v1_confirming_idx ON matches_1v1 (confirm_deadline) WHERE status = 'confirming';

-- A player's DM channel with the bot (Discord returns the same channel every time it is opened):
-- kept after the first open, so a DM costs one request instead of two.
CREATE TABLE dm_channels (
    discord_user_id bigint      PRIMARY KEY,
    channel_id      bigint      NOT NULL,
    opened_at       timestamptz NOT NULL DEFAULT now()
);


-- How long an unannounced match waits for its "match found" job before it is cancelled.
CREATE FUNCTION ladder_announce_limit() RETURNS interval
LANGUAGE sql IMMUTABLE AS $$ SELECT interval '10 minutes' $$;


-- A match as the handlers render it, now with whether it was announced.
CREATE OR REPLACE FUNCTION ladder_match_json(p_match bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'match_id', m.match_id, 'status', m.status, 'result', m.result,
        'map', m.map_code, 'server', m.server_code,
        'created_at', ladder_epoch(m.created_at), 'confirm_deadline', ladder_epoch(m.confirm_deadline),
        'announced', m.announced_at IS NOT NULL,
        'confirmed_at', ladder_epoch(m.confirmed_at), 'completed_at', ladder_epoch(m.completed_at),
        'aborted_by', m.aborted_by::text, 'resolved_by', m.resolved_by::text, 'resolve_reason', m.resolve_reason,
        'players', jsonb_build_array(
            jsonb_build_object('user_id', m.player_1::text, 'name', p1.player_name, 'battletag', p1.battletag,
                               'alt_names', to_jsonb(p1.alt_names), 'country', p1.country, 'region', p1.region,
                               'race', m.player_1_race, 'mmr', m.player_1_mmr,
                               'confirmed', m.player_1_confirmed_at IS NOT NULL, 'report', m.player_1_report,
                               'mmr_change', m.player_1_mmr_change),
            jsonb_build_object('user_id', m.player_2::text, 'name', p2.player_name, 'battletag', p2.battletag,
                               'alt_names', to_jsonb(p2.alt_names), 'country', p2.country, 'region', p2.region,
                               'race', m.player_2_race, 'mmr', m.player_2_mmr,
                               'confirmed', m.player_2_confirmed_at IS NOT NULL, 'report', m.player_2_report,
                               'mmr_change', m.player_2_mmr_change)))
    FROM matches_1v1 m
    JOIN players p1 ON p1.discord_user_id = m.player_1
    JOIN players p2 ON p2.discord_user_id = m.player_2
    WHERE m.match_id = p_match
$$;


-- Announce (the "match found" job, before its DMs): the first call starts the confirmation
-- window now (never shortening the one the wave set). Under the match row's lock, like Confirm.
-- Answers {status: ok | unknown, changed, match}; a match no longer confirming is answered as is.
CREATE FUNCTION ladder_match_announce(p_match bigint, p_now timestamptz, p_confirm_seconds integer DEFAULT 120)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m matches_1v1%ROWTYPE;
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF v_m.status = 'confirming' AND v_m.announced_at IS NULL THEN
        UPDATE matches_1v1
        SET announced_at = p_now,
            confirm_deadline = greatest(confirm_deadline, p_now + make_interval(secs => p_confirm_seconds))
        WHERE match_id = p_match;
        RETURN jsonb_build_object('status', 'ok', 'changed', true, 'match', ladder_match_json(p_match));
    END IF;
    RETURN jsonb_build_object('status', 'ok', 'changed', false, 'match', ladder_match_json(p_match));
END $$;


-- Is a confirming match past its deadline? An announced one at confirm_deadline; one never
-- announced at its creation + the announce limit (its players were never told: no penalty).
CREATE FUNCTION ladder_confirmation_due(p_m matches_1v1, p_now timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_m.status = 'confirming' AND p_m.confirm_deadline <= p_now
           AND (p_m.announced_at IS NOT NULL OR p_m.created_at + ladder_announce_limit() <= p_now)
$$;


-- Abandon the given confirming matches (the caller holds their rows' locks): both players are
-- free; whoever was told and did not confirm cannot queue for 10 minutes. Answers the ids it
-- abandoned (those still confirming).
CREATE FUNCTION ladder_abandon_matches(p_ids bigint[], p_now timestamptz) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    v_ids    bigint[];
    v_absent bigint[];
BEGIN
    WITH gone AS (
        UPDATE matches_1v1 SET status = 'abandoned', completed_at = p_now
        WHERE match_id = ANY (p_ids) AND status = 'confirming'
        RETURNING match_id, announced_at, player_1, player_1_confirmed_at, player_2, player_2_confirmed_at
    )
    SELECT coalesce(array_agg(DISTINCT match_id), '{}'),
           coalesce(array_agg(u) FILTER (WHERE at IS NULL AND announced_at IS NOT NULL), '{}')
    INTO v_ids, v_absent
    FROM gone, LATERAL (VALUES (player_1, player_1_confirmed_at), (player_2, player_2_confirmed_at)) t(u, at);
    UPDATE players SET active_match_id = NULL WHERE active_match_id = ANY (v_ids);
    UPDATE players
    SET queue_timeout_until = greatest(coalesce(queue_timeout_until, p_now), p_now + interval '10 minutes')
    WHERE discord_user_id = ANY (v_absent);
    RETURN v_ids;
END $$;


-- The confirmation deadline (the timer, and the sweep's per-match notice job): abandons the
-- match if it is due (a timer that arrives before the window ends does nothing: the window may
-- have started later than the wave, when the match was announced). Answers {status: ok |
-- unknown, changed, no_shows: [user ids], match}.
CREATE OR REPLACE FUNCTION ladder_match_deadline(p_match bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m       matches_1v1%ROWTYPE;
    v_changed boolean := false;
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF ladder_confirmation_due(v_m, p_now) THEN
        v_changed := cardinality(ladder_abandon_matches(ARRAY[p_match], p_now)) = 1;
        SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match;
    END IF;
    RETURN jsonb_build_object(
        'status', 'ok', 'changed', v_changed,
        'no_shows', CASE WHEN v_m.status = 'abandoned' AND v_m.announced_at IS NOT NULL THEN to_jsonb(ARRAY(
            SELECT u::text FROM (VALUES (v_m.player_1, v_m.player_1_confirmed_at),
                                        (v_m.player_2, v_m.player_2_confirmed_at)) t(u, at)
            WHERE at IS NULL ORDER BY u)) ELSE '[]'::jsonb END,
        'match', ladder_match_json(p_match));
END $$;


-- The sweep (every tick): every confirmation past its deadline is abandoned here, in one
-- statement, whatever happened to its timer. At most p_limit per tick (the oldest first; the
-- next tick continues). Answers {abandoned: [match ids], stranded: n}: the caller sends each
-- abandoned match's notices; stranded counts the players whose match was already due p_grace
-- ago (a sweep should have freed them then: expected 0, the StrandedPlayers alarm).
CREATE FUNCTION ladder_confirmation_sweep(p_now timestamptz, p_limit integer DEFAULT 5000,
                                          p_grace interval DEFAULT interval '90 seconds') RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_due      bigint[];
    v_stranded integer;
BEGIN
    SELECT 2 * count(*) INTO v_stranded FROM matches_1v1 m
    WHERE m.status = 'confirming' AND m.confirm_deadline <= p_now - p_grace
      AND ladder_confirmation_due(m, p_now - p_grace);
    -- Locked in one order (match id), as every other transition locks its one match row.
    v_due := ARRAY(
        SELECT match_id FROM matches_1v1 m
        WHERE m.status = 'confirming' AND m.confirm_deadline <= p_now AND ladder_confirmation_due(m, p_now)
        ORDER BY match_id LIMIT p_limit FOR UPDATE);
    RETURN jsonb_build_object('abandoned', to_jsonb(ladder_abandon_matches(v_due, p_now)),
                              'stranded', v_stranded);
END $$;


-- Keep a player's DM channel (the worker's outbox, after Discord opened it).
CREATE FUNCTION ladder_remember_dm_channel(p_user bigint, p_channel bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO dm_channels (discord_user_id, channel_id) VALUES (p_user, p_channel)
    ON CONFLICT (discord_user_id) DO UPDATE SET channel_id = excluded.channel_id, opened_at = now()
$$;


-- The wave commit, told the tick interval: the next wave's time shown to players (a minute in AWS
-- by default, seconds in the local stack). It wraps 0006's commit (which workers of the previous
-- release still call with 5 or 6 arguments during a deploy; this one takes 7, none defaulted, so
-- every call resolves to exactly one of them).
CREATE FUNCTION ladder_wave_commit(p_tick text, p_wave_count bigint, p_pairs jsonb, p_seen jsonb,
                                   p_now timestamptz, p_confirm_seconds integer, p_interval_seconds integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_result jsonb := ladder_wave_commit(p_tick, p_wave_count, p_pairs, p_seen, p_now, p_confirm_seconds);
BEGIN
    IF v_result->>'status' = 'created' THEN
        UPDATE matchmaking_state SET next_wave_at = p_now + make_interval(secs => p_interval_seconds) WHERE id;
    END IF;
    RETURN v_result;
END $$;
