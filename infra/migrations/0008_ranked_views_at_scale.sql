-- 0008: the ranked views at scale (make bench, Part C: 10,000 players, 50,000 matches).
-- 0007's ladder_ranked found each entry's letter with a correlated subquery over
-- ladder_rank_bounds (planned at 333 rows a call), so the planner priced the leaderboard in the
-- millions and PostgreSQL compiled it with JIT: seconds per page. Here the letter comes from
-- the cumulative counts computed once, "best race only" is a window instead of an EXISTS over
-- a CTE, and /profile counts the entries ahead of each of its races instead of ranking all.

-- The letter of 1-based position p_ordinal among p_n ranked entries (ladderline.ladder.ranks).
CREATE FUNCTION ladder_letter(p_ordinal bigint, p_n integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_ordinal IS NULL OR p_ordinal < 1 OR p_ordinal > p_n THEN NULL
                WHEN p_ordinal <= c[1] THEN 'S'
                WHEN p_ordinal <= c[1] + c[2] THEN 'A'
                WHEN p_ordinal <= c[1] + c[2] + c[3] THEN 'B'
                WHEN p_ordinal <= c[1] + c[2] + c[3] + c[4] THEN 'C'
                WHEN p_ordinal <= c[1] + c[2] + c[3] + c[4] + c[5] THEN 'D'
                WHEN p_ordinal <= c[1] + c[2] + c[3] + c[4] + c[5] + c[6] THEN 'E'
                ELSE 'F' END
    FROM (SELECT ladder_rank_counts(p_n) AS c) t
$$;


DROP FUNCTION ladder_ranked(timestamptz);
-- Every ranked entry (played within 30 days of p_now) with its global position, its letter, its
-- record and its place among the player's own ranked races (race_order 1 = best).
-- Order: MMR desc, most recent game first, then user id and race (fixed tie-breakers).
CREATE FUNCTION ladder_ranked(p_now timestamptz)
RETURNS TABLE (discord_user_id bigint, race text, mmr integer, last_played_at timestamptz, ordinal bigint,
               letter text, ranked_total bigint, games_won integer, games_lost integer, games_drawn integer,
               race_order bigint)
LANGUAGE sql STABLE AS $$
    WITH active AS (
        SELECT m.discord_user_id, m.race, m.mmr, m.last_played_at, m.games_won, m.games_lost, m.games_drawn,
               row_number() OVER (ORDER BY m.mmr DESC, m.last_played_at DESC, m.discord_user_id, m.race) AS ordinal,
               count(*) OVER () AS total
        FROM mmrs_1v1 m
        WHERE m.games_played > 0 AND m.last_played_at > p_now - interval '30 days'
    ),
    -- MATERIALIZED: each computed once. Inlined, the planner would repeat the count and call
    -- ladder_rank_counts for every CASE branch (and, worse, for every row).
    counts AS MATERIALIZED (
        SELECT ladder_rank_counts(coalesce((SELECT x.total FROM active x LIMIT 1), 0)::integer) AS c
    ),
    cut AS MATERIALIZED (
        SELECT c[1] AS s, c[1] + c[2] AS a, c[1] + c[2] + c[3] AS b, c[1] + c[2] + c[3] + c[4] AS c4,
               c[1] + c[2] + c[3] + c[4] + c[5] AS d, c[1] + c[2] + c[3] + c[4] + c[5] + c[6] AS e
        FROM counts
    )
    SELECT a.discord_user_id, a.race, a.mmr, a.last_played_at, a.ordinal,
           CASE WHEN a.ordinal <= cut.s THEN 'S' WHEN a.ordinal <= cut.a THEN 'A' WHEN a.ordinal <= cut.b THEN 'B'
                WHEN a.ordinal <= cut.c4 THEN 'C' WHEN a.ordinal <= cut.d THEN 'D' WHEN a.ordinal <= cut.e THEN 'E'
                ELSE 'F' END,
           a.total, a.games_won, a.games_lost, a.games_drawn,
           row_number() OVER (PARTITION BY a.discord_user_id ORDER BY a.ordinal)
    FROM active a CROSS JOIN cut
$$;


-- /profile: the public profile, each race's MMR, record, letter and place, the last 5 matches.
-- A race's place is 1 + the ranked entries ahead of it (same order as ladder_ranked), so a
-- profile reads the player's rows and two counts instead of ranking every entry.
CREATE OR REPLACE FUNCTION ladder_profile_ranked(p_user_id bigint, p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH total AS (
    SELECT count(*)::integer AS n FROM mmrs_1v1
    WHERE games_played > 0 AND last_played_at > p_now - interval '30 days'
),
mine AS (
    SELECT m.*, CASE WHEN m.games_played > 0 AND m.last_played_at > p_now - interval '30 days' THEN 1 + (
               SELECT count(*) FROM mmrs_1v1 o
               WHERE o.games_played > 0 AND o.last_played_at > p_now - interval '30 days'
                 AND (o.mmr > m.mmr
                      OR (o.mmr = m.mmr AND (o.last_played_at > m.last_played_at
                          OR (o.last_played_at = m.last_played_at AND (o.discord_user_id < m.discord_user_id
                              OR (o.discord_user_id = m.discord_user_id AND o.race < m.race))))))) END AS ordinal
    FROM mmrs_1v1 m WHERE m.discord_user_id = p_user_id
)
SELECT ladder_profile_json(p) || jsonb_build_object(
    'user_id', p.discord_user_id::text,
    'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
    'races', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'race', m.race, 'mmr', m.mmr, 'played', m.games_played, 'won', m.games_won,
                   'lost', m.games_lost, 'drawn', m.games_drawn,
                   'last_played', ladder_epoch(m.last_played_at),
                   'letter', ladder_letter(m.ordinal, t.n), 'rank', m.ordinal,
                   'ranked', CASE WHEN m.ordinal IS NOT NULL THEN t.n END)
               ORDER BY m.games_played > 0 DESC, m.mmr DESC, m.race)
        FROM mine m CROSS JOIN total t
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
CREATE OR REPLACE FUNCTION ladder_leaderboard_ranked(p_race text, p_country text, p_region text, p_letter text,
                                                     p_best_only boolean, p_page integer, p_page_size integer,
                                                     p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH filtered AS (
    -- Players are read per entry only when a country or region filter needs them; the page's
    -- names and flags are joined below, for its rows only.
    SELECT r.*, row_number() OVER (ORDER BY r.ordinal) AS place, count(*) OVER () AS total
    FROM ladder_ranked(p_now) r
    WHERE (p_race IS NULL OR r.race = p_race)
      AND (p_letter IS NULL OR r.letter = p_letter)
      AND (NOT p_best_only OR r.race_order = 1)
      AND ((p_country IS NULL AND p_region IS NULL)
           OR EXISTS (SELECT 1 FROM players p WHERE p.discord_user_id = r.discord_user_id
                                                AND (p_country IS NULL OR p.country = p_country)
                                                AND (p_region IS NULL OR p.region = p_region)))
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
                   'user_id', f.discord_user_id::text, 'player_name', p.player_name, 'country', p.country,
                   'race', f.race, 'mmr', f.mmr, 'won', f.games_won, 'lost', f.games_lost, 'drawn', f.games_drawn)
               ORDER BY f.place)
        FROM filtered f JOIN players p ON p.discord_user_id = f.discord_user_id
        WHERE f.place > (c.page - 1) * p_page_size AND f.place <= c.page * p_page_size), '[]'::jsonb))
FROM chosen c
$$;


-- --- the joiner's "Searching" message, edited when a wave matches them ---------------------------
-- The Searching message is the ephemeral /queue message, which only its interaction token can
-- edit, for 15 minutes. Join keeps the Join click's token with the entry; the wave edits the
-- message with it while it lives (the DM is the message that always arrives). The token goes
-- with the entry: deleted when the player is matched, leaves or expires.
ALTER TABLE queue_entries ADD COLUMN join_application_id text, ADD COLUMN join_token text;

-- Join with the click's application id and token (one round trip, like the 3-argument form,
-- which workers of the previous release still call during a deploy).
CREATE FUNCTION ladder_queue_join(p_user bigint, p_key text, p_now timestamptz, p_application text,
                                  p_token text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_result jsonb := ladder_queue_join(p_user, p_key, p_now);
BEGIN
    IF v_result->>'status' = 'joined' AND nullif(p_token, '') IS NOT NULL THEN
        UPDATE queue_entries SET join_application_id = p_application, join_token = p_token
        WHERE discord_user_id = p_user AND join_key = p_key;
    END IF;
    RETURN v_result;
END $$;

CREATE OR REPLACE FUNCTION ladder_wave_snapshot(p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'wave_count', (SELECT wave_count FROM matchmaking_state),
        'entries', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'user_id', e.discord_user_id, 'join_key', e.join_key,
                       'bw_race', e.bw_race, 'sc2_race', e.sc2_race,
                       'bw_mmr', coalesce(b.mmr, e.bw_mmr), 'sc2_mmr', coalesce(s.mmr, e.sc2_mmr),
                       'vetoes', to_jsonb(e.vetoes), 'region', e.region, 'waves', e.waves,
                       'joined_at', ladder_epoch(e.joined_at),
                       'join_application_id', e.join_application_id, 'join_token', e.join_token)
                   ORDER BY e.discord_user_id)
            FROM queue_entries e
            LEFT JOIN mmrs_1v1 b ON b.discord_user_id = e.discord_user_id AND b.race = e.bw_race
            LEFT JOIN mmrs_1v1 s ON s.discord_user_id = e.discord_user_id AND s.race = e.sc2_race
        ), '[]'::jsonb))
$$;
