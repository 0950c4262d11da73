-- 0016: the ranks' tie-break is the original ladder's. Entries with the same MMR and the same
-- last game (both players of a match finish it at one instant) were ordered by Discord user id, so
-- where a letter's cut fell between them one got B and the other C for no reason a player could
-- see. Now: MMR, most recent game, then the original's order: win rate, games played, then name
-- (case-insensitive), and only then the ids, for a total order. Only the rebuild's ordering
-- changes; the next refresh applies it.

CREATE OR REPLACE FUNCTION ladder_refresh_ranks(p_now timestamptz, p_force boolean, p_max_age_s integer) RETURNS jsonb
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
               row_number() OVER (ORDER BY m.mmr DESC, m.last_played_at DESC,
                                           m.games_won::float8 / m.games_played DESC, m.games_played DESC,
                                           lower(coalesce(n.player_name, '')) COLLATE "C",
                                           m.discord_user_id, m.race COLLATE "C")::integer AS ordinal
        FROM mmrs_1v1 m
        JOIN players n ON n.discord_user_id = m.discord_user_id
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
