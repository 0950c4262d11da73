-- 0007: results, Elo, the report reminders, staff actions, letter ranks and the ranked views.
-- Same rules as 0006: one function per command, p_now from the worker, no sequences or advisory
-- locks; every transition happens under the match row's lock, exactly once.


-- Elo (divisor 500, K 40), each new rating rounded half up on its own: the same float8
-- arithmetic as ladderline.ladder.elo.new_ratings (tests compare the two).
CREATE FUNCTION ladder_elo(p_r1 integer, p_r2 integer, p_result text) RETURNS integer[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[floor(p_r1 + 40.0::float8 * (t.s - t.e) + 0.5::float8)::integer,
                 floor(p_r2 + 40.0::float8 * ((1.0::float8 - t.s) - (1.0::float8 - t.e)) + 0.5::float8)::integer]
    FROM (SELECT CASE p_result WHEN 'player_1_win' THEN 1.0::float8 WHEN 'player_2_win' THEN 0.0::float8
                               WHEN 'draw' THEN 0.5::float8 END AS s,
                 1.0::float8 / (1.0::float8 + power(10.0::float8, (p_r2 - p_r1)::float8 / 500.0::float8)) AS e) t
$$;


-- The match gets its result: ratings move by the Elo change computed from the MMRs snapshotted
-- on the match (added to the current rating, so a staff adjustment in between is kept), records
-- and last played are updated, both players are free. Caller holds the match row's lock.
CREATE FUNCTION ladder_match_finalize(p_match bigint, p_result text, p_now timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_m   matches_1v1%ROWTYPE;
    v_new integer[];
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match;
    v_new := ladder_elo(v_m.player_1_mmr, v_m.player_2_mmr, p_result);
    UPDATE matches_1v1
    SET status = 'final', result = p_result, completed_at = p_now,
        player_1_mmr_change = v_new[1] - v_m.player_1_mmr, player_2_mmr_change = v_new[2] - v_m.player_2_mmr
    WHERE match_id = p_match;
    INSERT INTO mmrs_1v1 (discord_user_id, race) VALUES (v_m.player_1, v_m.player_1_race), (v_m.player_2, v_m.player_2_race)
    ON CONFLICT DO NOTHING;
    UPDATE mmrs_1v1 r
    SET mmr = r.mmr + d.change,
        games_played = r.games_played + 1,
        games_won = r.games_won + (d.outcome = 'won')::integer,
        games_lost = r.games_lost + (d.outcome = 'lost')::integer,
        games_drawn = r.games_drawn + (d.outcome = 'draw')::integer,
        last_played_at = p_now, updated_at = p_now
    FROM (VALUES (v_m.player_1, v_m.player_1_race, v_new[1] - v_m.player_1_mmr,
                  CASE p_result WHEN 'player_1_win' THEN 'won' WHEN 'player_2_win' THEN 'lost' ELSE 'draw' END),
                 (v_m.player_2, v_m.player_2_race, v_new[2] - v_m.player_2_mmr,
                  CASE p_result WHEN 'player_2_win' THEN 'won' WHEN 'player_1_win' THEN 'lost' ELSE 'draw' END))
         AS d(uid, race, change, outcome)
    WHERE r.discord_user_id = d.uid AND r.race = d.race;
    UPDATE players SET active_match_id = NULL WHERE active_match_id = p_match;
END $$;


-- A player's report: p_report is won | lost | draw from the player's side. The second report
-- decides in the same transaction: equal -> final (Elo applied), different -> conflict (nothing
-- moves). Both players reporting at once: the match row's lock makes one of them second.
-- Answers {status: ok | unknown | not_player | not_confirmed | closed | already_reported |
--          report_locked, changed, transition: null | final | conflict, match}.
CREATE FUNCTION ladder_match_report(p_match bigint, p_user bigint, p_report text, p_now timestamptz)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m      matches_1v1%ROWTYPE;
    v_value  text;
    v_mine   text;
    v_theirs text;
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF p_user NOT IN (v_m.player_1, v_m.player_2) THEN
        RETURN jsonb_build_object('status', 'not_player');
    END IF;
    IF p_report NOT IN ('won', 'lost', 'draw') THEN
        RAISE EXCEPTION 'unknown report %', p_report;
    END IF;
    v_value := CASE WHEN p_report = 'draw' THEN 'draw'
                    WHEN (p_report = 'won') = (p_user = v_m.player_1) THEN 'player_1_win'
                    ELSE 'player_2_win' END;
    v_mine := CASE WHEN p_user = v_m.player_1 THEN v_m.player_1_report ELSE v_m.player_2_report END;
    v_theirs := CASE WHEN p_user = v_m.player_1 THEN v_m.player_2_report ELSE v_m.player_1_report END;
    IF v_mine IS NOT NULL THEN
        RETURN jsonb_build_object('status', CASE WHEN v_mine = v_value THEN 'already_reported' ELSE 'report_locked' END,
                                  'changed', false, 'match', ladder_match_json(p_match));
    END IF;
    IF v_m.status = 'confirming' THEN
        RETURN jsonb_build_object('status', 'not_confirmed', 'match', ladder_match_json(p_match));
    END IF;
    IF v_m.status <> 'confirmed' THEN
        RETURN jsonb_build_object('status', 'closed', 'match', ladder_match_json(p_match));
    END IF;
    IF p_user = v_m.player_1 THEN
        UPDATE matches_1v1 SET player_1_report = v_value WHERE match_id = p_match;
    ELSE
        UPDATE matches_1v1 SET player_2_report = v_value WHERE match_id = p_match;
    END IF;
    IF v_theirs IS NULL THEN
        RETURN jsonb_build_object('status', 'ok', 'changed', true, 'transition', NULL,
                                  'match', ladder_match_json(p_match));
    END IF;
    IF v_theirs = v_value THEN
        PERFORM ladder_match_finalize(p_match, v_value, p_now);
        RETURN jsonb_build_object('status', 'ok', 'changed', true, 'transition', 'final',
                                  'match', ladder_match_json(p_match));
    END IF;
    UPDATE matches_1v1 SET status = 'conflict', completed_at = p_now WHERE match_id = p_match;
    UPDATE players SET active_match_id = NULL WHERE active_match_id = p_match;
    RETURN jsonb_build_object('status', 'ok', 'changed', true, 'transition', 'conflict',
                              'match', ladder_match_json(p_match));
END $$;


-- The report tick: one reminder per match an hour after confirmation while a report is
-- missing, and one staff flag after 24 hours. Each is marked with the tick that sent it, and the
-- answer lists what this tick marked (a re-run of the tick answers the same, each sent once).
CREATE FUNCTION ladder_report_sweep(p_tick text, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE matches_1v1 SET report_reminder_tick = p_tick
    WHERE status = 'confirmed' AND report_reminder_tick IS NULL AND confirmed_at <= p_now - interval '1 hour'
      AND (player_1_report IS NULL OR player_2_report IS NULL);
    UPDATE matches_1v1 SET staff_flag_tick = p_tick
    WHERE status = 'confirmed' AND staff_flag_tick IS NULL AND confirmed_at <= p_now - interval '24 hours';
    RETURN jsonb_build_object(
        'reminders', coalesce((SELECT jsonb_agg(ladder_match_json(match_id) ORDER BY match_id)
                               FROM matches_1v1 WHERE report_reminder_tick = p_tick), '[]'::jsonb),
        'flags', coalesce((SELECT jsonb_agg(ladder_match_json(match_id) ORDER BY match_id)
                           FROM matches_1v1 WHERE staff_flag_tick = p_tick), '[]'::jsonb));
END $$;


-- --- letter ranks -------------------------------------------------------------------------------
-- How many of p_n ranked entries get S, A, B, C, D, E, F (ladderline.ladder.ranks.counts).
CREATE FUNCTION ladder_rank_counts(p_n integer) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_counts integer[] := ARRAY[p_n * 1 / 100, p_n * 7 / 100, p_n * 21 / 100, p_n * 21 / 100,
                                p_n * 21 / 100, p_n * 21 / 100, p_n * 8 / 100];
    v_left   integer;
    v_order  integer[];
    v_i      integer := 1;
BEGIN
    v_left := p_n - (SELECT sum(c) FROM unnest(v_counts) c);
    -- D, C, E, B first; then A, F, S when F already outnumbers S + A, else F, A, S.
    v_order := CASE WHEN v_counts[7] > v_counts[1] + v_counts[2] THEN ARRAY[5, 4, 6, 3, 2, 7, 1]
                    ELSE ARRAY[5, 4, 6, 3, 7, 2, 1] END;
    WHILE v_left > 0 LOOP
        v_counts[v_order[v_i]] := v_counts[v_order[v_i]] + 1;
        v_left := v_left - 1;
        v_i := v_i + 1;
    END LOOP;
    RETURN v_counts;
END $$;


-- The last position (1-based) of each letter among p_n entries: position p gets the first
-- letter whose bound is >= p.
CREATE FUNCTION ladder_rank_bounds(p_n integer) RETURNS TABLE (letter text, upto integer)
LANGUAGE sql IMMUTABLE AS $$
    SELECT l, (sum(c) OVER (ORDER BY i))::integer
    FROM unnest(ARRAY['S', 'A', 'B', 'C', 'D', 'E', 'F'], ladder_rank_counts(p_n)) WITH ORDINALITY AS t(l, c, i)
$$;


-- Every ranked entry (played within 30 days of p_now) with its global position and letter.
-- Order: MMR desc, most recent game first, then user id and race (fixed tie-breakers).
CREATE FUNCTION ladder_ranked(p_now timestamptz)
RETURNS TABLE (discord_user_id bigint, race text, mmr integer, last_played_at timestamptz, ordinal bigint,
               letter text, ranked_total bigint)
LANGUAGE sql STABLE AS $$
    WITH active AS (
        SELECT m.discord_user_id, m.race, m.mmr, m.last_played_at,
               row_number() OVER (ORDER BY m.mmr DESC, m.last_played_at DESC, m.discord_user_id, m.race) AS ordinal,
               count(*) OVER () AS total
        FROM mmrs_1v1 m
        WHERE m.games_played > 0 AND m.last_played_at > p_now - interval '30 days'
    ),
    bounds AS (
        SELECT b.letter, b.upto, coalesce(lag(b.upto) OVER (ORDER BY b.upto), 0) AS after
        FROM ladder_rank_bounds((SELECT count(*) FROM active)::integer) b
        WHERE b.upto > 0
    )
    SELECT a.discord_user_id, a.race, a.mmr, a.last_played_at, a.ordinal,
           (SELECT b.letter FROM bounds b WHERE a.ordinal > b.after AND a.ordinal <= b.upto LIMIT 1),
           a.total
    FROM active a
$$;
CREATE INDEX mmrs_1v1_active_idx ON mmrs_1v1 (last_played_at) WHERE games_played > 0;


-- /profile: the public profile, each race's MMR, record, letter and place, the last 5 matches.
CREATE FUNCTION ladder_profile_ranked(p_user_id bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH ranked AS (SELECT * FROM ladder_ranked(p_now))
SELECT ladder_profile_json(p) || jsonb_build_object(
    'user_id', p.discord_user_id::text,
    'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
    'races', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'race', m.race, 'mmr', m.mmr, 'played', m.games_played, 'won', m.games_won,
                   'lost', m.games_lost, 'drawn', m.games_drawn,
                   'last_played', ladder_epoch(m.last_played_at),
                   'letter', r.letter, 'rank', r.ordinal, 'ranked', r.ranked_total)
               ORDER BY m.games_played > 0 DESC, m.mmr DESC, m.race)
        FROM mmrs_1v1 m
        LEFT JOIN ranked r ON r.discord_user_id = m.discord_user_id AND r.race = m.race
        WHERE m.discord_user_id = p.discord_user_id
    ), '[]'::jsonb),
    'recent', coalesce((
        SELECT jsonb_agg(x.j ORDER BY x.match_id DESC)
        FROM (SELECT mm.match_id, jsonb_build_object(
                         'match_id', mm.match_id, 'status', mm.status, 'result', mm.result,
                         'side', CASE WHEN mm.player_1 = p.discord_user_id THEN 1 ELSE 2 END,
                         'race', CASE WHEN mm.player_1 = p.discord_user_id THEN mm.player_1_race ELSE mm.player_2_race END,
                         'opponent', o.player_name,
                         'opponent_race', CASE WHEN mm.player_1 = p.discord_user_id THEN mm.player_2_race ELSE mm.player_1_race END,
                         'mmr_change', CASE WHEN mm.player_1 = p.discord_user_id THEN mm.player_1_mmr_change
                                            ELSE mm.player_2_mmr_change END,
                         'at', ladder_epoch(mm.created_at)) AS j
              FROM matches_1v1 mm
              JOIN players o ON o.discord_user_id = CASE WHEN mm.player_1 = p.discord_user_id THEN mm.player_2
                                                         ELSE mm.player_1 END
              WHERE mm.player_1 = p.discord_user_id OR mm.player_2 = p.discord_user_id
              ORDER BY mm.match_id DESC LIMIT 5) x
    ), '[]'::jsonb),
    'preferences', (
        SELECT jsonb_build_object('last_chosen_races', to_jsonb(f.last_chosen_races),
                                  'last_chosen_vetoes', to_jsonb(f.last_chosen_vetoes))
        FROM preferences_1v1 f WHERE f.discord_user_id = p.discord_user_id),
    'active_match_id', p.active_match_id
)
FROM players p
WHERE p.discord_user_id = p_user_id
$$;


-- /leaderboard: ranked entries only, filtered (NULL = any) by race, country, region and letter,
-- optionally each player's best ranked race only; place = position within the filtered view,
-- letter = the entry's rank among all ranked entries.
CREATE FUNCTION ladder_leaderboard_ranked(p_race text, p_country text, p_region text, p_letter text,
                                          p_best_only boolean, p_page integer, p_page_size integer,
                                          p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH ranked AS (
    SELECT r.*, p.player_name, p.country, p.region, m.games_won, m.games_lost, m.games_drawn
    FROM ladder_ranked(p_now) r
    JOIN players p ON p.discord_user_id = r.discord_user_id
    JOIN mmrs_1v1 m ON m.discord_user_id = r.discord_user_id AND m.race = r.race
),
best AS (
    SELECT DISTINCT ON (discord_user_id) discord_user_id, race FROM ranked ORDER BY discord_user_id, ordinal
),
filtered AS (
    SELECT f.*, row_number() OVER (ORDER BY f.ordinal) AS place, count(*) OVER () AS total
    FROM ranked f
    WHERE (p_race IS NULL OR f.race = p_race)
      AND (p_country IS NULL OR f.country = p_country)
      AND (p_region IS NULL OR f.region = p_region)
      AND (p_letter IS NULL OR f.letter = p_letter)
      AND (NOT p_best_only OR EXISTS (SELECT 1 FROM best b WHERE b.discord_user_id = f.discord_user_id
                                                              AND b.race = f.race))
),
paging AS (
    SELECT t.total, greatest(1, ceil(t.total::numeric / p_page_size)::integer) AS pages
    FROM (SELECT coalesce((SELECT x.total FROM filtered x LIMIT 1), 0) AS total) t
),
chosen AS (SELECT g.total, g.pages, least(greatest(p_page, 1), g.pages) AS page FROM paging g)
SELECT jsonb_build_object(
    'total', c.total, 'pages', c.pages, 'page', c.page, 'page_size', p_page_size,
    'rows', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'rank', f.place, 'position', f.ordinal, 'letter', f.letter,
                   'user_id', f.discord_user_id::text, 'player_name', f.player_name, 'country', f.country,
                   'race', f.race, 'mmr', f.mmr, 'won', f.games_won, 'lost', f.games_lost, 'drawn', f.games_drawn)
               ORDER BY f.place)
        FROM filtered f
        WHERE f.place > (c.page - 1) * p_page_size AND f.place <= c.page * p_page_size), '[]'::jsonb))
FROM chosen c
$$;


-- --- staff --------------------------------------------------------------------------------------
-- One function for every /admin subcommand. The staff list is checked here (server owners can
-- change who sees the command). p_key (the interaction id) is claimed first: a concurrent run of
-- the same action waits on that row and then answers the first run's result; a replay answers it
-- too. Every action, reads included, is logged with who, what and why.
-- Answers {status: not_staff | ok | refused (reason) | not_found, ...}.
CREATE FUNCTION ladder_admin(p_staff bigint, p_action text, p_args jsonb, p_key text, p_now timestamptz)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_result jsonb;
    v_user   bigint := nullif(p_args->>'user_id', '')::bigint;
    v_match  bigint := nullif(p_args->>'match_id', '')::bigint;
    v_m      matches_1v1%ROWTYPE;
    v_old    integer;
    v_new    integer;
    v_value  integer := nullif(p_args->>'value', '')::integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM staff WHERE discord_user_id = p_staff) THEN
        RETURN jsonb_build_object('status', 'not_staff');
    END IF;
    INSERT INTO staff_actions (action_key, staff_id, action, target_user, target_match, reason, details, result,
                               created_at)
    VALUES (p_key, p_staff, p_action, v_user, v_match, p_args->>'reason', p_args, '{}', p_now)
    ON CONFLICT (action_key) DO NOTHING;
    IF NOT FOUND THEN
        RETURN (SELECT result || jsonb_build_object('replay', true) FROM staff_actions WHERE action_key = p_key);
    END IF;

    IF p_action = 'player' THEN
        v_result := (SELECT jsonb_build_object('status', 'ok', 'player', ladder_profile_json(p) || jsonb_build_object(
                         'user_id', p.discord_user_id::text, 'banned', p.banned_at IS NOT NULL,
                         'timeout_until', CASE WHEN p.queue_timeout_until > p_now THEN ladder_epoch(p.queue_timeout_until) END,
                         'active_match_id', p.active_match_id,
                         'queueing', EXISTS (SELECT 1 FROM queue_entries e WHERE e.discord_user_id = p.discord_user_id),
                         'mmrs', coalesce((SELECT jsonb_agg(jsonb_build_object('race', m.race, 'mmr', m.mmr,
                                               'played', m.games_played) ORDER BY m.race)
                                           FROM mmrs_1v1 m WHERE m.discord_user_id = p.discord_user_id), '[]'::jsonb)))
                     FROM players p WHERE p.discord_user_id = v_user);
    ELSIF p_action = 'match' THEN
        v_result := (SELECT jsonb_build_object('status', 'ok', 'match', ladder_match_json(v_match))
                     WHERE EXISTS (SELECT 1 FROM matches_1v1 WHERE match_id = v_match));
    ELSIF p_action = 'resolve' THEN
        SELECT * INTO v_m FROM matches_1v1 WHERE match_id = v_match FOR UPDATE;
        IF FOUND AND v_m.status NOT IN ('confirmed', 'conflict') THEN
            v_result := jsonb_build_object('status', 'refused', 'reason', 'match_closed', 'match_status', v_m.status);
        ELSIF FOUND THEN
            IF p_args->>'result' = 'invalidate' THEN
                UPDATE matches_1v1 SET status = 'invalidated', completed_at = p_now WHERE match_id = v_match;
                UPDATE players SET active_match_id = NULL WHERE active_match_id = v_match;
            ELSIF p_args->>'result' IN ('player_1_win', 'player_2_win', 'draw') THEN
                PERFORM ladder_match_finalize(v_match, p_args->>'result', p_now);
            ELSE
                RAISE EXCEPTION 'unknown resolution %', p_args->>'result';
            END IF;
            UPDATE matches_1v1 SET resolved_by = p_staff, resolve_reason = p_args->>'reason' WHERE match_id = v_match;
            v_result := jsonb_build_object('status', 'ok', 'match', ladder_match_json(v_match));
        END IF;
    ELSIF p_action = 'adjust_mmr' THEN
        IF EXISTS (SELECT 1 FROM players WHERE discord_user_id = v_user) THEN
            INSERT INTO mmrs_1v1 (discord_user_id, race) VALUES (v_user, p_args->>'race') ON CONFLICT DO NOTHING;
            SELECT mmr INTO v_old FROM mmrs_1v1 WHERE discord_user_id = v_user AND race = p_args->>'race' FOR UPDATE;
            v_new := CASE p_args->>'op' WHEN 'set' THEN v_value WHEN 'add' THEN v_old + v_value
                                        WHEN 'subtract' THEN v_old - v_value END;
            IF v_new IS NULL THEN
                RAISE EXCEPTION 'unknown mmr operation %', p_args->>'op';
            END IF;
            UPDATE mmrs_1v1 SET mmr = v_new, updated_at = p_now WHERE discord_user_id = v_user AND race = p_args->>'race';
            v_result := jsonb_build_object('status', 'ok', 'user_id', v_user::text, 'race', p_args->>'race',
                                           'old', v_old, 'new', v_new);
        END IF;
    ELSIF p_action = 'remove_queue' THEN
        IF EXISTS (SELECT 1 FROM players WHERE discord_user_id = v_user) THEN
            DELETE FROM queue_entries WHERE discord_user_id = v_user;
            v_result := jsonb_build_object('status', 'ok', 'user_id', v_user::text, 'removed', FOUND);
        END IF;
    ELSIF p_action = 'unstick' THEN
        SELECT m.* INTO v_m FROM players p JOIN matches_1v1 m ON m.match_id = p.active_match_id
        WHERE p.discord_user_id = v_user FOR UPDATE OF m;
        IF FOUND THEN
            UPDATE matches_1v1 SET status = 'invalidated', completed_at = p_now, resolved_by = p_staff,
                                   resolve_reason = p_args->>'reason'
            WHERE match_id = v_m.match_id AND status IN ('confirming', 'confirmed');
            UPDATE players SET active_match_id = NULL WHERE active_match_id = v_m.match_id;
            v_result := jsonb_build_object('status', 'ok', 'user_id', v_user::text, 'match', ladder_match_json(v_m.match_id));
        ELSIF EXISTS (SELECT 1 FROM players WHERE discord_user_id = v_user) THEN
            UPDATE players SET active_match_id = NULL WHERE discord_user_id = v_user;
            v_result := jsonb_build_object('status', 'ok', 'user_id', v_user::text, 'match', NULL);
        END IF;
    ELSE
        RAISE EXCEPTION 'unknown staff action %', p_action;
    END IF;
    v_result := coalesce(v_result, jsonb_build_object('status', 'not_found'));
    UPDATE staff_actions SET result = v_result WHERE action_key = p_key;
    RETURN v_result;
END $$;
