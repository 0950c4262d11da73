-- 0011: ranks computed once per refresh into a table; /leaderboard and /profile only read it.
--
-- A letter is a position among every ranked entry, so 0008 ranked the whole population on every
-- view: at 100,000 players a page took 1-2 s, and it grows faster than the data. Here a tick
-- (ladder_refresh_ranks) ranks everyone once into ranked_entries, and each view is an index look-up:
-- the original bot did the same (its ranks are recomputed when its leaderboard cache refreshes,
-- DOMAIN.md §8). A view shows the ranks as of the last refresh and says when that was.
--
-- The snapshot is rebuilt into a new table and swapped in by rename at the end of the refresh's
-- transaction: readers keep reading the previous snapshot until then (MVCC), the swap holds its
-- lock for the rename only, and no refresh leaves 2 million dead rows behind as DELETE would.

-- Set only where a rating or a player's country/region changes; the refresh compares their
-- maxima with what it last saw instead of scanning two million rows to find nothing new.
CREATE INDEX mmrs_1v1_updated_idx ON mmrs_1v1 (updated_at);
CREATE INDEX players_updated_idx ON players (updated_at);

-- One row per ranked entry (played within 30 days of the refresh), by global position.
CREATE TABLE ranked_entries (
    ordinal         integer PRIMARY KEY,
    discord_user_id bigint  NOT NULL,
    race            text    NOT NULL,
    mmr             integer NOT NULL,
    games_won       integer NOT NULL,
    games_lost      integer NOT NULL,
    games_drawn     integer NOT NULL,
    letter          text    NOT NULL,
    best            boolean NOT NULL,  -- the player's first (best) ranked race
    country         text,
    region          text
);
-- Each /leaderboard filter reads its view in ordinal order from one of these, and a page is at
-- most MAX_PAGES * page size rows down it (see ladder_leaderboard_page).
CREATE INDEX ranked_entries_race_idx ON ranked_entries (race, ordinal);
CREATE INDEX ranked_entries_country_idx ON ranked_entries (country, region, ordinal);
CREATE INDEX ranked_entries_region_idx ON ranked_entries (region, ordinal);
CREATE INDEX ranked_entries_user_idx ON ranked_entries (discord_user_id);

-- How many ranked entries each filter combination holds (a view's total is a sum over these).
CREATE TABLE ranked_counts (
    country text,
    region  text,
    race    text    NOT NULL,
    letter  text    NOT NULL,
    best    boolean NOT NULL,
    n       integer NOT NULL
);
CREATE INDEX ranked_counts_country_idx ON ranked_counts (country);
CREATE INDEX ranked_counts_region_idx ON ranked_counts (region);

-- The snapshot's own facts (one row).
CREATE TABLE ranks_snapshot (
    id            boolean     PRIMARY KEY DEFAULT true CHECK (id),
    as_of         timestamptz,             -- the 30-day window ends here
    refreshed_at  timestamptz,
    ratings_mark  timestamptz,             -- max(mmrs_1v1.updated_at) when it was built
    players_mark  timestamptz,             -- max(players.updated_at) when it was built
    total         integer     NOT NULL DEFAULT 0,
    oldest_played timestamptz,             -- the first entry to age out of the window
    build_ms      integer
);
INSERT INTO ranks_snapshot DEFAULT VALUES;


-- Rebuild the snapshot if anything it shows changed, an entry aged out of the 30-day window, or
-- it is older than p_max_age_s seconds; p_force rebuilds regardless. One refresh at a time: a concurrent
-- call returns 'busy' at once instead of building the same table twice.
CREATE FUNCTION ladder_refresh_ranks(p_now timestamptz, p_force boolean, p_max_age_s integer) RETURNS jsonb
LANGUAGE plpgsql
-- The build sorts every ranked entry: in memory it is several times faster than spilling, and
-- JIT compiles for longer than this query runs. Both settings are the function's own, not the
-- session's (a client SET would pin an RDS Proxy connection). It runs as the schema owner (SECURITY
-- DEFINER): the worker's login may read and write rows but not create or drop tables, and the
-- owner's default privileges grant it SELECT on each new snapshot table.
SECURITY DEFINER SET search_path = public, pg_temp SET work_mem = '256MB' SET jit = off
AS $$
DECLARE
    v_snap    ranks_snapshot;
    v_ratings timestamptz := (SELECT max(updated_at) FROM mmrs_1v1);
    v_players timestamptz := (SELECT max(updated_at) FROM players);
    v_started timestamptz := clock_timestamp();
    v_total   integer;
    v_cut     integer[];
BEGIN
    -- The snapshot's row, locked until this refresh commits (a row lock, not an advisory lock: it
    -- leaves no session state for RDS Proxy to pin on; readers of the row are never blocked).
    SELECT * INTO v_snap FROM ranks_snapshot FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'busy');
    END IF;
    IF NOT p_force AND v_snap.refreshed_at IS NOT NULL
       AND v_snap.refreshed_at > p_now - make_interval(secs => p_max_age_s)
       AND v_ratings IS NOT DISTINCT FROM v_snap.ratings_mark
       AND v_players IS NOT DISTINCT FROM v_snap.players_mark
       AND (v_snap.oldest_played IS NULL OR v_snap.oldest_played > p_now - interval '30 days') THEN
        RETURN jsonb_build_object('status', 'fresh', 'total', v_snap.total);
    END IF;

    v_total := (SELECT count(*) FROM mmrs_1v1 WHERE games_played > 0 AND last_played_at > p_now - interval '30 days');
    -- The last position of S, A, B, C, D, E (F runs to the end).
    SELECT array_agg(upto ORDER BY upto) INTO v_cut FROM ladder_rank_bounds(v_total);

    CREATE TABLE ranked_entries_next AS
    WITH active AS (
        SELECT m.discord_user_id, m.race, m.mmr, m.last_played_at, m.games_won, m.games_lost, m.games_drawn,
               row_number() OVER (ORDER BY m.mmr DESC, m.last_played_at DESC, m.discord_user_id,
                                           m.race COLLATE "C")::integer AS ordinal
        FROM mmrs_1v1 m
        WHERE m.games_played > 0 AND m.last_played_at > p_now - interval '30 days'
    ),
    firsts AS (SELECT a.discord_user_id, min(a.ordinal) AS first FROM active a GROUP BY a.discord_user_id)
    SELECT a.ordinal, a.discord_user_id, a.race, a.mmr, a.games_won, a.games_lost, a.games_drawn,
           CASE WHEN a.ordinal <= v_cut[1] THEN 'S' WHEN a.ordinal <= v_cut[2] THEN 'A'
                WHEN a.ordinal <= v_cut[3] THEN 'B' WHEN a.ordinal <= v_cut[4] THEN 'C'
                WHEN a.ordinal <= v_cut[5] THEN 'D' WHEN a.ordinal <= v_cut[6] THEN 'E' ELSE 'F' END AS letter,
           a.ordinal = f.first AS best, p.country::text AS country, p.region,
           a.last_played_at
    FROM active a
    JOIN firsts f ON f.discord_user_id = a.discord_user_id
    JOIN players p ON p.discord_user_id = a.discord_user_id;

    UPDATE ranks_snapshot
    SET as_of = p_now, refreshed_at = clock_timestamp(), ratings_mark = v_ratings, players_mark = v_players,
        total = v_total, oldest_played = (SELECT min(last_played_at) FROM ranked_entries_next);
    ALTER TABLE ranked_entries_next DROP COLUMN last_played_at;

    DELETE FROM ranked_counts;
    INSERT INTO ranked_counts (country, region, race, letter, best, n)
    SELECT country, region, race, letter, best, count(*) FROM ranked_entries_next
    GROUP BY country, region, race, letter, best;

    ALTER TABLE ranked_entries_next ADD PRIMARY KEY (ordinal);
    CREATE INDEX ranked_entries_next_race_idx ON ranked_entries_next (race, ordinal);
    CREATE INDEX ranked_entries_next_country_idx ON ranked_entries_next (country, region, ordinal);
    CREATE INDEX ranked_entries_next_region_idx ON ranked_entries_next (region, ordinal);
    CREATE INDEX ranked_entries_next_user_idx ON ranked_entries_next (discord_user_id);
    ANALYZE ranked_entries_next;

    DROP TABLE ranked_entries;
    ALTER TABLE ranked_entries_next RENAME TO ranked_entries;
    ALTER INDEX ranked_entries_next_pkey RENAME TO ranked_entries_pkey;
    ALTER INDEX ranked_entries_next_race_idx RENAME TO ranked_entries_race_idx;
    ALTER INDEX ranked_entries_next_country_idx RENAME TO ranked_entries_country_idx;
    ALTER INDEX ranked_entries_next_region_idx RENAME TO ranked_entries_region_idx;
    ALTER INDEX ranked_entries_next_user_idx RENAME TO ranked_entries_user_idx;

    UPDATE ranks_snapshot SET build_ms = (extract(epoch FROM clock_timestamp() - v_started) * 1000)::integer;
    RETURN jsonb_build_object('status', 'refreshed', 'total', v_total,
                              'build_ms', (SELECT build_ms FROM ranks_snapshot));
END $$;


-- A view lists at most this many pages (the original lists at most 25 pages of 40 rows). It bounds
-- how far down its index any page reads, so every page costs the same at any population; where a
-- player stands beyond it, /profile says.
CREATE FUNCTION ladder_leaderboard_max_pages() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 100';

-- /leaderboard: one page of the ranked entries, filtered (NULL = any) by race, country, region and
-- letter, optionally each player's best race only. place = position within the filtered view;
-- position and letter = among all ranked entries. The statement is built with only the filters
-- given, so PostgreSQL plans each combination with its own index (a generic "x IS NULL OR ..."
-- plan would read the whole table for every page).
CREATE FUNCTION ladder_leaderboard_page(p_race text, p_country text, p_region text, p_letter text,
                                        p_best_only boolean, p_page integer, p_page_size integer) RETURNS jsonb
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    v_where  text := 'true';
    v_total  bigint;
    v_pages  integer;
    v_page   integer;
    v_rows   jsonb;
    v_snap   ranks_snapshot;
    v_counts integer[];
    v_at     integer;
    v_low    bigint;
BEGIN
    IF p_race IS NOT NULL THEN v_where := v_where || format(' AND race = %L', p_race); END IF;
    IF p_country IS NOT NULL THEN v_where := v_where || format(' AND country = %L', p_country); END IF;
    IF p_region IS NOT NULL THEN v_where := v_where || format(' AND region = %L', p_region); END IF;
    IF p_letter IS NOT NULL THEN v_where := v_where || format(' AND letter = %L', p_letter); END IF;
    IF p_best_only THEN v_where := v_where || ' AND best'; END IF;
    SELECT * INTO v_snap FROM ranks_snapshot;

    EXECUTE 'SELECT coalesce(sum(n), 0) FROM ranked_counts WHERE ' || v_where INTO v_total;
    v_pages := least(greatest(1, ceil(v_total::numeric / p_page_size)::integer), ladder_leaderboard_max_pages());
    v_page := least(greatest(p_page, 1), v_pages);

    -- A letter is a range of ordinals: said as such, the index starts at the range.
    IF p_letter IS NOT NULL THEN
        v_counts := ladder_rank_counts(v_snap.total);
        v_at := array_position(ARRAY['S', 'A', 'B', 'C', 'D', 'E', 'F'], p_letter);
        v_low := 1 + coalesce((SELECT sum(c) FROM unnest(v_counts[1:v_at - 1]) c), 0);
        v_where := v_where || format(' AND ordinal BETWEEN %s AND %s', v_low, v_low + v_counts[v_at] - 1);
    END IF;
    EXECUTE format($q$
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'rank', %s + x.i, 'position', x.ordinal, 'letter', x.letter,
                   'user_id', x.discord_user_id::text, 'player_name', p.player_name, 'country', p.country,
                   'race', x.race, 'mmr', x.mmr, 'won', x.games_won, 'lost', x.games_lost, 'drawn', x.games_drawn)
               ORDER BY x.i), '[]'::jsonb)
        FROM (SELECT e.*, row_number() OVER (ORDER BY e.ordinal) AS i
              FROM (SELECT * FROM ranked_entries WHERE %s ORDER BY ordinal OFFSET %s LIMIT %s) e) x
        JOIN players p ON p.discord_user_id = x.discord_user_id$q$,
        (v_page - 1) * p_page_size, v_where, (v_page - 1) * p_page_size, p_page_size) INTO v_rows;

    RETURN jsonb_build_object('total', v_total, 'pages', v_pages, 'page', v_page, 'page_size', p_page_size,
                              'max_pages', ladder_leaderboard_max_pages(),
                              'as_of', ladder_epoch(v_snap.refreshed_at), 'rows', v_rows);
END $$;


-- /profile: the public profile, each race's live MMR and record, and its letter and place as of the
-- last refresh (a look-up by user, whatever the population).
CREATE FUNCTION ladder_profile_snapshot(p_user_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SET jit = off AS $$
SELECT ladder_profile_json(p) || jsonb_build_object(
    'user_id', p.discord_user_id::text,
    'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
    'ranks_as_of', (SELECT ladder_epoch(s.refreshed_at) FROM ranks_snapshot s),
    'races', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'race', m.race, 'mmr', m.mmr, 'played', m.games_played, 'won', m.games_won,
                   'lost', m.games_lost, 'drawn', m.games_drawn,
                   'last_played', ladder_epoch(m.last_played_at),
                   'letter', r.letter, 'rank', r.ordinal,
                   'ranked', CASE WHEN r.ordinal IS NOT NULL THEN s.total END)
               ORDER BY m.games_played > 0 DESC, m.mmr DESC, m.race)
        FROM mmrs_1v1 m
        CROSS JOIN ranks_snapshot s
        LEFT JOIN ranked_entries r ON r.discord_user_id = m.discord_user_id AND r.race = m.race
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
