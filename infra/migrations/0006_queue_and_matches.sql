-- 0006: the 1v1 queue, matchmaking waves and the match lifecycle up to both players confirming.
--
-- As everywhere: each user-facing command is ONE call of one function here, sent as one
-- simple-query message (`BEGIN; SELECT ladder_xxx(...); COMMIT;`), returning one jsonb value.
-- Functions take the time as p_now (the worker's clock) so that every deadline is testable.
-- No sequences (nextval pins RDS Proxy connections) and no advisory locks (they pin too): match
-- numbers are max + 1 taken under the wave row's lock, the only place matches are created.
--
-- Player state: a queue_entries row = queueing; players.active_match_id = in a match (confirming
-- or playing); neither = idle. A queue timeout is players.queue_timeout_until.

ALTER TABLE players
    ADD COLUMN banned_at           timestamptz,
    ADD COLUMN queue_timeout_until timestamptz,
    ADD COLUMN active_match_id     bigint;

ALTER TABLE mmrs_1v1 ADD COLUMN last_played_at timestamptz;

-- One row per queueing player. join_key is the Join click's interaction id (a replayed Join
-- recognises its own entry). MMRs are the ones at join time, for display; waves use the current
-- ones. waves counts the waves the entry survived (its MMR allowance grows with it).
CREATE TABLE queue_entries (
    discord_user_id bigint      PRIMARY KEY REFERENCES players (discord_user_id) ON DELETE CASCADE,
    join_key        text        NOT NULL UNIQUE,
    bw_race         text        CHECK (bw_race IN ('bw_terran', 'bw_zerg', 'bw_protoss')),
    sc2_race        text        CHECK (sc2_race IN ('sc2_terran', 'sc2_zerg', 'sc2_protoss')),
    bw_mmr          integer,
    sc2_mmr         integer,
    vetoes          text[]      NOT NULL DEFAULT '{}',
    region          text,
    joined_at       timestamptz NOT NULL,
    waves           integer     NOT NULL DEFAULT 0,
    CHECK (bw_race IS NOT NULL OR sc2_race IS NOT NULL)
);

-- Entries taken out by the 2.5 h expiry, keyed by the entry's join_key (each told once).
CREATE TABLE queue_expiries (
    join_key        text        PRIMARY KEY,
    discord_user_id bigint      NOT NULL,
    tick_id         text        NOT NULL,
    joined_at       timestamptz NOT NULL,
    expired_at      timestamptz NOT NULL
);
CREATE INDEX queue_expiries_tick_idx ON queue_expiries (tick_id);

-- The wave row: every wave's commit locks it (SELECT ... FOR UPDATE), so overlapping waves run
-- one after the other; wave_count tells a wave whether another committed since its snapshot.
CREATE TABLE matchmaking_state (
    id           boolean     PRIMARY KEY DEFAULT true CHECK (id),
    wave_count   bigint      NOT NULL DEFAULT 0,
    last_wave_at timestamptz,
    next_wave_at timestamptz
);
INSERT INTO matchmaking_state DEFAULT VALUES;

-- One row per wave that committed (tick_id: the tick job's id): a re-run of the same tick
-- creates nothing twice and answers with what the first run created.
CREATE TABLE matchmaking_waves (
    tick_id    text        PRIMARY KEY,
    wave_no    bigint      NOT NULL UNIQUE,
    ran_at     timestamptz NOT NULL,
    queued     integer     NOT NULL,
    pairs      integer     NOT NULL
);

-- A match. player_1 plays the Brood War race, player_2 the StarCraft II race. match_key
-- (tick id + both players) is the creation's idempotency key. MMRs are snapshotted at creation
-- and the rating change is computed from them.
CREATE TABLE matches_1v1 (
    match_id              bigint      PRIMARY KEY,
    match_key             text        NOT NULL UNIQUE,
    wave_tick_id          text        NOT NULL,
    player_1              bigint      NOT NULL REFERENCES players (discord_user_id),
    player_2              bigint      NOT NULL REFERENCES players (discord_user_id),
    player_1_race         text        NOT NULL,
    player_2_race         text        NOT NULL,
    player_1_mmr          integer     NOT NULL,
    player_2_mmr          integer     NOT NULL,
    map_code              text        NOT NULL,
    server_code           text        NOT NULL,
    status                text        NOT NULL DEFAULT 'confirming' CHECK (status IN
                              ('confirming', 'confirmed', 'final', 'conflict', 'aborted', 'abandoned',
                               'invalidated')),
    created_at            timestamptz NOT NULL,
    confirm_deadline      timestamptz NOT NULL,
    player_1_confirmed_at timestamptz,
    player_2_confirmed_at timestamptz,
    confirmed_at          timestamptz,
    aborted_by            bigint,
    player_1_report       text        CHECK (player_1_report IN ('player_1_win', 'player_2_win', 'draw')),
    player_2_report       text        CHECK (player_2_report IN ('player_1_win', 'player_2_win', 'draw')),
    result                text        CHECK (result IN ('player_1_win', 'player_2_win', 'draw')),
    player_1_mmr_change   integer,
    player_2_mmr_change   integer,
    completed_at          timestamptz,
    report_reminder_tick  text,
    staff_flag_tick       text,
    resolved_by           bigint,
    resolve_reason        text,
    CHECK (player_1 <> player_2)
);
CREATE INDEX matches_1v1_player_1_idx ON matches_1v1 (player_1, created_at DESC);
CREATE INDEX matches_1v1_player_2_idx ON matches_1v1 (player_2, created_at DESC);
CREATE INDEX matches_1v1_wave_idx ON matches_1v1 (wave_tick_id);
CREATE INDEX matches_1v1_open_idx ON matches_1v1 (confirmed_at) WHERE status = 'confirmed';

-- Ladder staff (checked on every /admin call: server owners can change who sees the command).
CREATE TABLE staff (
    discord_user_id bigint      PRIMARY KEY,
    name            text        NOT NULL DEFAULT '',
    added_at        timestamptz NOT NULL DEFAULT now()
);

-- Every staff action: who, what, why; action_key (the /admin interaction id) makes it once.
CREATE TABLE staff_actions (
    action_key   text        PRIMARY KEY,
    staff_id     bigint      NOT NULL,
    action       text        NOT NULL,
    target_user  bigint,
    target_match bigint,
    reason       text,
    details      jsonb       NOT NULL DEFAULT '{}',
    result       jsonb       NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX staff_actions_match_idx ON staff_actions (target_match) WHERE target_match IS NOT NULL;
CREATE INDEX staff_actions_user_idx ON staff_actions (target_user) WHERE target_user IS NOT NULL;


CREATE FUNCTION ladder_epoch(p_at timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT floor(extract(epoch FROM p_at))::bigint $$;


-- When the next wave runs: a minute after the last one, or the next whole minute.
CREATE FUNCTION ladder_next_wave(p_now timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT ladder_epoch(CASE WHEN s.next_wave_at IS NOT NULL AND s.next_wave_at > p_now THEN s.next_wave_at
                             ELSE date_trunc('minute', p_now) + interval '1 minute' END)
    FROM matchmaking_state s
$$;


-- How many are queueing on each side (a two-game player counts on both).
CREATE FUNCTION ladder_queue_counts() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('bw', count(*) FILTER (WHERE bw_race IS NOT NULL),
                              'sc2', count(*) FILTER (WHERE sc2_race IS NOT NULL),
                              'total', count(*))
    FROM queue_entries
$$;


-- The queue message's state for a player: preferences, and what the player is doing now.
CREATE FUNCTION ladder_queue_state(p_user bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'races', to_jsonb(coalesce(f.last_chosen_races, '{}')),
        'vetoes', to_jsonb(coalesce(f.last_chosen_vetoes, '{}')),
        'state', CASE WHEN p.active_match_id IS NOT NULL THEN 'in_match'
                      WHEN e.discord_user_id IS NOT NULL THEN 'queueing' ELSE 'idle' END,
        'match_id', p.active_match_id,
        'entry', CASE WHEN e.discord_user_id IS NOT NULL THEN jsonb_build_object(
                     'bw_race', e.bw_race, 'sc2_race', e.sc2_race, 'bw_mmr', e.bw_mmr, 'sc2_mmr', e.sc2_mmr,
                     'vetoes', to_jsonb(e.vetoes), 'joined_at', ladder_epoch(e.joined_at),
                     'join_key', e.join_key) END,
        'counts', ladder_queue_counts(),
        'next_wave_at', ladder_next_wave(p_now),
        'timeout_until', CASE WHEN p.queue_timeout_until > p_now THEN ladder_epoch(p.queue_timeout_until) END)
    FROM players p
    LEFT JOIN preferences_1v1 f ON f.discord_user_id = p.discord_user_id
    LEFT JOIN queue_entries e ON e.discord_user_id = p.discord_user_id
    WHERE p.discord_user_id = p_user
$$;


-- Why a player may not use the queue at all, or NULL: the 0002 guards plus a ban.
CREATE FUNCTION ladder_queue_guard(p_user bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_guard text := ladder_guard(p_user, true, true);
BEGIN
    IF v_guard IS NOT NULL THEN
        RETURN jsonb_build_object('guard', v_guard);
    END IF;
    IF EXISTS (SELECT 1 FROM players WHERE discord_user_id = p_user AND banned_at IS NOT NULL) THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', 'banned');
    END IF;
    RETURN NULL;
END $$;


-- /queue: the message to show (nothing written).
CREATE FUNCTION ladder_queue_open(p_user bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_refusal jsonb := ladder_queue_guard(p_user);
BEGIN
    IF v_refusal IS NOT NULL THEN
        RETURN v_refusal;
    END IF;
    RETURN jsonb_build_object('status', 'ok') || ladder_queue_state(p_user, p_now);
END $$;


-- A select on the queue message: save that choice at once (p_field: bw | sc2 | vetoes | clear).
-- The handler validated the values against the static data; races keep at most one per game,
-- vetoes are stored sorted (the order clicked carries no meaning).
CREATE FUNCTION ladder_queue_set(p_user bigint, p_field text, p_choice jsonb, p_now timestamptz)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_refusal jsonb := ladder_queue_guard(p_user);
    v_races   text[];
    p_values  text[] := ARRAY(SELECT jsonb_array_elements_text(p_choice));
BEGIN
    IF v_refusal IS NOT NULL THEN
        RETURN v_refusal;
    END IF;
    INSERT INTO preferences_1v1 (discord_user_id) VALUES (p_user) ON CONFLICT DO NOTHING;
    SELECT last_chosen_races INTO v_races FROM preferences_1v1 WHERE discord_user_id = p_user FOR UPDATE;
    IF p_field = 'bw' THEN
        v_races := ARRAY(SELECT r FROM unnest(v_races) r WHERE r NOT LIKE 'bw\_%') || p_values[1:1];
    ELSIF p_field = 'sc2' THEN
        v_races := ARRAY(SELECT r FROM unnest(v_races) r WHERE r NOT LIKE 'sc2\_%') || p_values[1:1];
    END IF;
    IF p_field IN ('bw', 'sc2') THEN
        UPDATE preferences_1v1 SET last_chosen_races = ARRAY(SELECT r FROM unnest(v_races) r ORDER BY r),
                                   updated_at = p_now
        WHERE discord_user_id = p_user;
    ELSIF p_field = 'vetoes' THEN
        UPDATE preferences_1v1 SET last_chosen_vetoes = ARRAY(SELECT DISTINCT v FROM unnest(p_values) v ORDER BY v),
                                   updated_at = p_now
        WHERE discord_user_id = p_user;
    ELSIF p_field = 'clear' THEN
        UPDATE preferences_1v1 SET last_chosen_races = '{}', last_chosen_vetoes = '{}', updated_at = p_now
        WHERE discord_user_id = p_user;
    ELSE
        RAISE EXCEPTION 'unknown queue field %', p_field;
    END IF;
    RETURN jsonb_build_object('status', 'ok') || ladder_queue_state(p_user, p_now);
END $$;


-- Join: every guard and the entry in one transaction. The player row is locked first, so two
-- Joins of one player (two clicks, two messages) run one after the other.
-- Answers: {"guard"} | refused (reason: banned | timed_out | in_match | already_queueing | no_race)
-- | joined (also for a replay of p_key).
CREATE FUNCTION ladder_queue_join(p_user bigint, p_key text, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_refusal jsonb;
    v_player  players%ROWTYPE;
    v_entry   queue_entries%ROWTYPE;
    v_races   text[];
    v_vetoes  text[];
    v_bw      text;
    v_sc2     text;
BEGIN
    SELECT * INTO v_player FROM players WHERE discord_user_id = p_user FOR UPDATE;
    v_refusal := ladder_queue_guard(p_user);
    IF v_refusal IS NOT NULL THEN
        RETURN v_refusal;
    END IF;
    SELECT * INTO v_entry FROM queue_entries WHERE discord_user_id = p_user;
    IF FOUND AND v_entry.join_key = p_key THEN
        RETURN jsonb_build_object('status', 'joined') || ladder_queue_state(p_user, p_now);
    END IF;
    IF v_player.active_match_id IS NOT NULL THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', 'in_match', 'match_id', v_player.active_match_id);
    END IF;
    IF FOUND THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', 'already_queueing');
    END IF;
    IF v_player.queue_timeout_until > p_now THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', 'timed_out',
                                  'until', ladder_epoch(v_player.queue_timeout_until),
                                  'state_view', ladder_queue_state(p_user, p_now));
    END IF;
    SELECT last_chosen_races, last_chosen_vetoes INTO v_races, v_vetoes
    FROM preferences_1v1 WHERE discord_user_id = p_user;
    SELECT r INTO v_bw FROM unnest(v_races) r WHERE r LIKE 'bw\_%' LIMIT 1;
    SELECT r INTO v_sc2 FROM unnest(v_races) r WHERE r LIKE 'sc2\_%' LIMIT 1;
    IF v_bw IS NULL AND v_sc2 IS NULL THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', 'no_race',
                                  'state_view', ladder_queue_state(p_user, p_now));
    END IF;
    -- Each race's MMR row is created at the start value the first time it is queued.
    INSERT INTO mmrs_1v1 (discord_user_id, race)
    SELECT p_user, r FROM unnest(ARRAY[v_bw, v_sc2]) r WHERE r IS NOT NULL
    ON CONFLICT DO NOTHING;
    INSERT INTO queue_entries (discord_user_id, join_key, bw_race, sc2_race, bw_mmr, sc2_mmr, vetoes, region,
                               joined_at)
    VALUES (p_user, p_key, v_bw, v_sc2,
            (SELECT mmr FROM mmrs_1v1 WHERE discord_user_id = p_user AND race = v_bw),
            (SELECT mmr FROM mmrs_1v1 WHERE discord_user_id = p_user AND race = v_sc2),
            coalesce(v_vetoes, '{}'), v_player.region, p_now);
    RETURN jsonb_build_object('status', 'joined') || ladder_queue_state(p_user, p_now);
END $$;


-- Leave. Answers: left | not_queueing | in_match (a wave paired the player first).
CREATE FUNCTION ladder_queue_leave(p_user bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_match bigint;
BEGIN
    DELETE FROM queue_entries WHERE discord_user_id = p_user;
    IF FOUND THEN
        RETURN jsonb_build_object('status', 'left') || ladder_queue_state(p_user, p_now);
    END IF;
    SELECT active_match_id INTO v_match FROM players WHERE discord_user_id = p_user;
    IF v_match IS NOT NULL THEN
        RETURN jsonb_build_object('status', 'in_match', 'match_id', v_match);
    END IF;
    RETURN jsonb_build_object('status', 'not_queueing') || coalesce(ladder_queue_state(p_user, p_now), '{}');
END $$;


-- The expiry tick: entries older than 2.5 hours leave the queue. Answers the entries this tick
-- took out (a re-run of the same tick answers the same ones, so each is told exactly once).
CREATE FUNCTION ladder_queue_expire(p_tick text, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        DELETE FROM queue_entries WHERE joined_at <= p_now - interval '150 minutes'
        RETURNING join_key, discord_user_id, joined_at
    )
    INSERT INTO queue_expiries (join_key, discord_user_id, tick_id, joined_at, expired_at)
    SELECT join_key, discord_user_id, p_tick, joined_at, p_now FROM gone
    ON CONFLICT DO NOTHING;
    RETURN jsonb_build_object('expired', coalesce((
        SELECT jsonb_agg(jsonb_build_object('user_id', x.discord_user_id::text, 'join_key', x.join_key,
                                            'joined_at', ladder_epoch(x.joined_at)) ORDER BY x.join_key)
        FROM queue_expiries x WHERE x.tick_id = p_tick), '[]'::jsonb));
END $$;


-- A wave's snapshot: every queued entry with its current MMRs (nothing written, no lock).
CREATE FUNCTION ladder_wave_snapshot(p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'wave_count', (SELECT wave_count FROM matchmaking_state),
        'entries', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'user_id', e.discord_user_id, 'join_key', e.join_key,
                       'bw_race', e.bw_race, 'sc2_race', e.sc2_race,
                       'bw_mmr', coalesce(b.mmr, e.bw_mmr), 'sc2_mmr', coalesce(s.mmr, e.sc2_mmr),
                       'vetoes', to_jsonb(e.vetoes), 'region', e.region, 'waves', e.waves,
                       'joined_at', ladder_epoch(e.joined_at))
                   ORDER BY e.discord_user_id)
            FROM queue_entries e
            LEFT JOIN mmrs_1v1 b ON b.discord_user_id = e.discord_user_id AND b.race = e.bw_race
            LEFT JOIN mmrs_1v1 s ON s.discord_user_id = e.discord_user_id AND s.race = e.sc2_race
        ), '[]'::jsonb))
$$;


-- A match as the handlers render it: both players' public fields, races, MMRs, state.
CREATE FUNCTION ladder_match_json(p_match bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'match_id', m.match_id, 'status', m.status, 'result', m.result,
        'map', m.map_code, 'server', m.server_code,
        'created_at', ladder_epoch(m.created_at), 'confirm_deadline', ladder_epoch(m.confirm_deadline),
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


-- A wave's commit. p_pairs: [{bw_user, bw_key, sc2_user, sc2_key, map, server}] computed by the
-- pure pairing from the snapshot taken at wave_count p_wave_count; p_seen: the snapshot's join keys.
-- - Serialised by the wave row's lock. A wave whose snapshot is older than the last committed
--   wave creates nothing (superseded): another wave already paired from newer data.
-- - A pair is created only if both entries are still the ones snapshotted (same join_key) and
--   both players are still free: a player who left (or left and re-joined) is not matched.
-- - match_key = tick + players, unique: a re-run of the same tick answers the first run's matches.
-- Answers: {status: created | replay | superseded, matches: [...], queued, pairs}.
CREATE FUNCTION ladder_wave_commit(p_tick text, p_wave_count bigint, p_pairs jsonb, p_seen jsonb,
                                   p_now timestamptz, p_confirm_seconds integer DEFAULT 120)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_state   matchmaking_state%ROWTYPE;
    v_pair    jsonb;
    v_id      bigint;
    v_queued  integer;
    v_created integer := 0;
    v_users   bigint[];
    v_ok      boolean;
BEGIN
    SELECT * INTO v_state FROM matchmaking_state WHERE id FOR UPDATE;
    IF EXISTS (SELECT 1 FROM matchmaking_waves WHERE tick_id = p_tick) THEN
        RETURN jsonb_build_object('status', 'replay', 'matches', coalesce((
            SELECT jsonb_agg(ladder_match_json(m.match_id) ORDER BY m.match_id)
            FROM matches_1v1 m WHERE m.wave_tick_id = p_tick), '[]'::jsonb));
    END IF;
    IF v_state.wave_count <> p_wave_count THEN
        RETURN jsonb_build_object('status', 'superseded', 'matches', '[]'::jsonb);
    END IF;
    SELECT count(*) INTO v_queued FROM queue_entries;

    -- Lock every entry and player involved in one order (user id), so that no Join, Leave or
    -- other transaction can deadlock with the wave.
    v_users := ARRAY(SELECT DISTINCT u FROM jsonb_array_elements(p_pairs) x,
                     LATERAL (VALUES ((x->>'bw_user')::bigint), ((x->>'sc2_user')::bigint)) AS t(u) ORDER BY u);
    PERFORM 1 FROM players WHERE discord_user_id = ANY (v_users) ORDER BY discord_user_id FOR UPDATE;
    PERFORM 1 FROM queue_entries WHERE discord_user_id = ANY (v_users) ORDER BY discord_user_id FOR UPDATE;

    SELECT coalesce(max(match_id), 0) INTO v_id FROM matches_1v1;
    FOR v_pair IN SELECT value FROM jsonb_array_elements(p_pairs) LOOP
        SELECT count(*) = 2 INTO v_ok
        FROM queue_entries e JOIN players p ON p.discord_user_id = e.discord_user_id
        WHERE p.active_match_id IS NULL
          AND ((e.discord_user_id = (v_pair->>'bw_user')::bigint AND e.join_key = v_pair->>'bw_key'
                AND e.bw_race IS NOT NULL)
            OR (e.discord_user_id = (v_pair->>'sc2_user')::bigint AND e.join_key = v_pair->>'sc2_key'
                AND e.sc2_race IS NOT NULL));
        IF NOT v_ok OR (v_pair->>'bw_user') = (v_pair->>'sc2_user') THEN
            CONTINUE;
        END IF;
        v_id := v_id + 1;
        INSERT INTO matches_1v1 (match_id, match_key, wave_tick_id, player_1, player_2, player_1_race, player_2_race,
                                 player_1_mmr, player_2_mmr, map_code, server_code, created_at, confirm_deadline)
        SELECT v_id, p_tick || ':' || b.discord_user_id || ':' || s.discord_user_id, p_tick,
               b.discord_user_id, s.discord_user_id, b.bw_race, s.sc2_race,
               coalesce((SELECT mmr FROM mmrs_1v1 WHERE discord_user_id = b.discord_user_id AND race = b.bw_race), 1500),
               coalesce((SELECT mmr FROM mmrs_1v1 WHERE discord_user_id = s.discord_user_id AND race = s.sc2_race), 1500),
               v_pair->>'map', v_pair->>'server', p_now, p_now + make_interval(secs => p_confirm_seconds)
        FROM queue_entries b, queue_entries s
        WHERE b.discord_user_id = (v_pair->>'bw_user')::bigint AND s.discord_user_id = (v_pair->>'sc2_user')::bigint;
        UPDATE players SET active_match_id = v_id
        WHERE discord_user_id IN ((v_pair->>'bw_user')::bigint, (v_pair->>'sc2_user')::bigint);
        DELETE FROM queue_entries
        WHERE discord_user_id IN ((v_pair->>'bw_user')::bigint, (v_pair->>'sc2_user')::bigint);
        v_created := v_created + 1;
    END LOOP;

    -- Everyone this wave saw and left queued waited one more wave: their allowance grows.
    UPDATE queue_entries SET waves = waves + 1 WHERE join_key IN (SELECT jsonb_array_elements_text(p_seen));
    UPDATE matchmaking_state
    SET wave_count = wave_count + 1, last_wave_at = p_now, next_wave_at = p_now + interval '60 seconds'
    WHERE id;
    INSERT INTO matchmaking_waves (tick_id, wave_no, ran_at, queued, pairs)
    VALUES (p_tick, v_state.wave_count + 1, p_now, v_queued, v_created);
    RETURN jsonb_build_object('status', 'created', 'queued', v_queued, 'pairs', v_created,
        'matches', coalesce((SELECT jsonb_agg(ladder_match_json(m.match_id) ORDER BY m.match_id)
                             FROM matches_1v1 m WHERE m.wave_tick_id = p_tick), '[]'::jsonb));
END $$;


-- Confirm. Answers {status: ok | not_player | unknown, changed: bool, match}. changed is true
-- only for the click that made a transition (this player's confirmation).
CREATE FUNCTION ladder_match_confirm(p_match bigint, p_user bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m       matches_1v1%ROWTYPE;
    v_changed boolean := false;
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF p_user NOT IN (v_m.player_1, v_m.player_2) THEN
        RETURN jsonb_build_object('status', 'not_player');
    END IF;
    IF v_m.status = 'confirming' THEN
        IF p_user = v_m.player_1 AND v_m.player_1_confirmed_at IS NULL THEN
            UPDATE matches_1v1 SET player_1_confirmed_at = p_now WHERE match_id = p_match;
            v_changed := true;
        ELSIF p_user = v_m.player_2 AND v_m.player_2_confirmed_at IS NULL THEN
            UPDATE matches_1v1 SET player_2_confirmed_at = p_now WHERE match_id = p_match;
            v_changed := true;
        END IF;
        UPDATE matches_1v1 SET status = 'confirmed', confirmed_at = p_now
        WHERE match_id = p_match AND player_1_confirmed_at IS NOT NULL AND player_2_confirmed_at IS NOT NULL;
    END IF;
    RETURN jsonb_build_object('status', 'ok', 'changed', v_changed, 'match', ladder_match_json(p_match));
END $$;


-- Abort (before both confirmed): the aborter cannot queue for 5 minutes; both are free.
-- Answers {status: ok | not_player | unknown, changed, match}.
CREATE FUNCTION ladder_match_abort(p_match bigint, p_user bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m matches_1v1%ROWTYPE;
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF p_user NOT IN (v_m.player_1, v_m.player_2) THEN
        RETURN jsonb_build_object('status', 'not_player');
    END IF;
    IF v_m.status <> 'confirming' THEN
        RETURN jsonb_build_object('status', 'ok', 'changed', false, 'match', ladder_match_json(p_match));
    END IF;
    UPDATE matches_1v1 SET status = 'aborted', aborted_by = p_user, completed_at = p_now WHERE match_id = p_match;
    UPDATE players SET active_match_id = NULL WHERE active_match_id = p_match;
    UPDATE players SET queue_timeout_until = greatest(coalesce(queue_timeout_until, p_now), p_now + interval '5 minutes')
    WHERE discord_user_id = p_user;
    RETURN jsonb_build_object('status', 'ok', 'changed', true, 'match', ladder_match_json(p_match));
END $$;


-- The confirmation deadline (a timer): still unconfirmed -> abandoned; whoever did not confirm
-- cannot queue for 10 minutes. Runs under the match row's lock like Confirm, so a Confirm at the
-- same instant either lands first (the match is confirmed, this does nothing) or finds the
-- match abandoned. Answers {status: ok | unknown, changed, no_shows: [user ids], match}.
CREATE FUNCTION ladder_match_deadline(p_match bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m      matches_1v1%ROWTYPE;
    v_absent bigint[];
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    v_absent := ARRAY(SELECT u FROM (VALUES (v_m.player_1, v_m.player_1_confirmed_at),
                                           (v_m.player_2, v_m.player_2_confirmed_at)) t(u, at)
                      WHERE at IS NULL ORDER BY u);
    IF v_m.status <> 'confirming' THEN
        RETURN jsonb_build_object('status', 'ok', 'changed', false,
                                  'no_shows', CASE WHEN v_m.status = 'abandoned' THEN to_jsonb(v_absent::text[])
                                                   ELSE '[]'::jsonb END,
                                  'match', ladder_match_json(p_match));
    END IF;
    UPDATE matches_1v1 SET status = 'abandoned', completed_at = p_now WHERE match_id = p_match;
    UPDATE players SET active_match_id = NULL WHERE active_match_id = p_match;
    UPDATE players SET queue_timeout_until = greatest(coalesce(queue_timeout_until, p_now), p_now + interval '10 minutes')
    WHERE discord_user_id = ANY (v_absent);
    RETURN jsonb_build_object('status', 'ok', 'changed', true, 'no_shows', to_jsonb(v_absent::text[]),
                              'match', ladder_match_json(p_match));
END $$;


-- A match's state, read-only (the reminder timer, /admin match).
CREATE FUNCTION ladder_match_read(p_match bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN m IS NULL THEN jsonb_build_object('status', 'unknown')
                ELSE jsonb_build_object('status', 'ok', 'match', m) END
    FROM (SELECT ladder_match_json(p_match) AS m) t
$$;
