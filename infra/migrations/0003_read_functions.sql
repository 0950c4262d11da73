-- 0003: the read side of the ladder: /profile and /leaderboard, one SQL function call each.
--
-- Each command's database work is ONE round trip (`BEGIN; SELECT ladder_xxx(...); COMMIT;`):
-- the functions answer everything the reply needs as one jsonb value, so the worker never asks
-- a second question. Plain SQL functions, STABLE: no SET, temp tables or sequences (they would
-- pin RDS Proxy connections).
--
-- Who is on the board: a (player, race) row of mmrs_1v1 with at least one game played. An MMR
-- row with no games is the 1500 starting value, not a standing; such a race shows as "unranked"
-- on /profile. Terms/activation are not checked here: only activated players can queue, so a
-- player with games has been activated.
--
-- Ordering (one definition, used by the board and by the profile's rank): mmr DESC, then
-- discord_user_id ASC, then race ASC. The user id is an arbitrary but fixed tie-breaker, so
-- pages never shuffle between requests, and it is what mmrs_1v1_leaderboard_idx /
-- mmrs_1v1_leaderboard_all_idx are sorted by (no games_won key: it would defeat the index).
-- Rank = absolute position in that ordering (1, 2, 3, ... with no shared ranks): equal MMRs get
-- consecutive ranks, so the rank a row shows is exactly its place on the pages, and the rank
-- /profile shows for a race is the row's position on `/leaderboard race:<that race>`.
-- The all-races board has one row per player AND race (a player laddering two races appears
-- twice, once per race); filtered boards rank within the filter (position in that view).

CREATE VIEW leaderboard_1v1 AS
SELECT m.discord_user_id, m.race, m.mmr, m.games_played, m.games_won, m.games_lost, m.games_drawn,
       p.player_name, p.country, p.region
FROM mmrs_1v1 m
JOIN players p ON p.discord_user_id = m.discord_user_id
WHERE m.games_played > 0;


-- The whole profile of one user, or NULL when there is no players row: the public fields
-- (ladder_profile_json, migration 0002) plus what only /profile shows.
CREATE FUNCTION ladder_profile(p_user_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT ladder_profile_json(p) || jsonb_build_object(
    'user_id', p.discord_user_id::text,
    'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
    'races', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'race', m.race,
                   'mmr', m.mmr,
                   'played', m.games_played,
                   'won', m.games_won,
                   'lost', m.games_lost,
                   'drawn', m.games_drawn,
                   -- Position in the race's board (same ordering as ladder_leaderboard).
                   'rank', CASE WHEN m.games_played > 0 THEN (
                       SELECT count(*) + 1 FROM leaderboard_1v1 o
                       WHERE o.race = m.race
                         AND (o.mmr > m.mmr OR (o.mmr = m.mmr AND o.discord_user_id < m.discord_user_id))
                   ) END,
                   'ranked', CASE WHEN m.games_played > 0 THEN (
                       SELECT count(*) FROM leaderboard_1v1 o WHERE o.race = m.race
                   ) END)
               ORDER BY m.games_played > 0 DESC, m.mmr DESC, m.race)
        FROM mmrs_1v1 m
        WHERE m.discord_user_id = p.discord_user_id
    ), '[]'::jsonb),
    'preferences', (
        SELECT jsonb_build_object('last_chosen_races', to_jsonb(f.last_chosen_races),
                                  'last_chosen_vetoes', to_jsonb(f.last_chosen_vetoes))
        FROM preferences_1v1 f
        WHERE f.discord_user_id = p.discord_user_id
    )
)
FROM players p
WHERE p.discord_user_id = p_user_id
$$;


-- One page of the board with its total (count(*) OVER ()) and page count; NULL filters mean
-- "any". A page past the end is clamped to the last page (page 1 when the board is empty).
CREATE FUNCTION ladder_leaderboard(p_race text, p_country text, p_region text, p_page integer,
                                   p_page_size integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH ranked AS (
    SELECT b.*,
           row_number() OVER (ORDER BY b.mmr DESC, b.discord_user_id, b.race) AS position,
           count(*) OVER () AS total
    FROM leaderboard_1v1 b
    WHERE (p_race IS NULL OR b.race = p_race)
      AND (p_country IS NULL OR b.country = p_country)
      AND (p_region IS NULL OR b.region = p_region)
),
paging AS (
    SELECT t.total,
           greatest(1, ceil(t.total::numeric / p_page_size)::integer) AS pages
    FROM (SELECT coalesce((SELECT r.total FROM ranked r LIMIT 1), 0) AS total) t
),
chosen AS (
    SELECT g.total, g.pages, least(greatest(p_page, 1), g.pages) AS page FROM paging g
)
SELECT jsonb_build_object(
    'total', c.total,
    'pages', c.pages,
    'page', c.page,
    'page_size', p_page_size,
    'rows', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'rank', r.position,
                   'user_id', r.discord_user_id::text,
                   'player_name', r.player_name,
                   'country', r.country,
                   'race', r.race,
                   'mmr', r.mmr,
                   'played', r.games_played,
                   'won', r.games_won,
                   'lost', r.games_lost,
                   'drawn', r.games_drawn)
               ORDER BY r.position)
        FROM ranked r
        WHERE r.position > (c.page - 1) * p_page_size AND r.position <= c.page * p_page_size
    ), '[]'::jsonb)
)
FROM chosen c
$$;
