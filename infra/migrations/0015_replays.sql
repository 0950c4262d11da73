-- 0015: replays settle results.
--
-- A replay that passes every check (ladderline.replays.checks) decides its match for both players
-- through ladder_replay_decide, under the match row's lock, so two uploads at the same instant,
-- an upload racing the second report, and a redelivered job each decide the match once. The
-- rules (README "Replays"):
--   - a match being played (confirmed) or in conflict (staff not yet decided) is decided by the
--     replay's winner; a report that disagrees is overruled and kept on the row for the record;
--   - a decided match (final, invalidated, aborted, abandoned) takes no replay;
--   - a replay whose winner can't be told is kept (staff can fetch it) and decides nothing; the
--     players report as before;
--   - one file (its content hash) belongs to one match: replays.content_hash is the key.

CREATE TABLE replays (
    content_hash text        PRIMARY KEY CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    match_id     bigint      NOT NULL REFERENCES matches_1v1 (match_id),
    uploaded_by  bigint      NOT NULL,
    s3_key       text        NOT NULL,
    result       text        CHECK (result IN ('player_1_win', 'player_2_win', 'draw')),
    checks       jsonb       NOT NULL,
    uploaded_at  timestamptz NOT NULL
);
CREATE INDEX replays_match_idx ON replays (match_id, uploaded_at);

-- The replay that decided the match (NULL: reports or staff did, or nothing yet).
ALTER TABLE matches_1v1 ADD COLUMN decided_by_replay text REFERENCES replays (content_hash);
-- At most one replay decides a match, and a replay decides at most one match.
CREATE UNIQUE INDEX matches_1v1_decided_by_replay_idx ON matches_1v1 (decided_by_replay)
    WHERE decided_by_replay IS NOT NULL;

CREATE OR REPLACE FUNCTION ladder_match_json(p_match bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'match_id', m.match_id, 'status', m.status, 'result', m.result,
        'map', m.map_code, 'server', m.server_code,
        'created_at', ladder_epoch(m.created_at), 'confirm_deadline', ladder_epoch(m.confirm_deadline),
        'announced', m.announced_at IS NOT NULL,
        'confirmed_at', ladder_epoch(m.confirmed_at), 'completed_at', ladder_epoch(m.completed_at),
        'aborted_by', m.aborted_by::text, 'resolved_by', m.resolved_by::text, 'resolve_reason', m.resolve_reason,
        'replay', (SELECT jsonb_build_object('hash', r.content_hash, 'key', r.s3_key, 'uploaded_by', r.uploaded_by::text)
                   FROM replays r WHERE r.content_hash = m.decided_by_replay),
        'replays', (SELECT count(*) FROM replays r WHERE r.match_id = m.match_id),
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

-- Before fetching and parsing: may this user upload a replay for this match now? Answers
-- {status: ok | unknown | not_player | not_confirmed | closed, match}. Read only: the decision
-- is taken again under the lock by ladder_replay_decide. A match a replay decided is still `ok`
-- here: the job that decided it, run again, must find its replay (same_replay) and finish.
CREATE FUNCTION ladder_replay_open(p_match bigint, p_user bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT jsonb_build_object(
            'status', CASE WHEN p_user NOT IN (m.player_1, m.player_2) THEN 'not_player'
                           WHEN m.status = 'confirming' THEN 'not_confirmed'
                           WHEN m.status IN ('confirmed', 'conflict') THEN 'ok'
                           WHEN m.status = 'final' AND m.decided_by_replay IS NOT NULL THEN 'ok'
                           ELSE 'closed' END,
            'match', ladder_match_json(m.match_id))
        FROM matches_1v1 m WHERE m.match_id = p_match), jsonb_build_object('status', 'unknown'))
$$;

-- A player's open match (confirmed or in conflict), newest first: /replay without a match id.
CREATE FUNCTION ladder_replay_match_of(p_user bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT match_id FROM matches_1v1
    WHERE (player_1 = p_user OR player_2 = p_user) AND status IN ('confirmed', 'conflict')
    ORDER BY created_at DESC LIMIT 1
$$;

-- A verified replay (every check passed; p_result NULL: the winner can't be told) for p_match.
-- Answers {status, changed, transition, match, overruled}:
--   ok            the replay decided the match now (transition final; `overruled` lists the
--                 user ids whose report it overruled) or, p_result NULL, was kept undecided;
--   same_replay   this file was already recorded for this match (a double upload, a retried job);
--   used_elsewhere  this file belongs to match `other_match`;
--   decided       the match was decided before (by a replay or otherwise): nothing changes;
--   unknown | not_player | not_confirmed | closed as ladder_replay_open.
CREATE FUNCTION ladder_replay_decide(p_match bigint, p_user bigint, p_hash text, p_key text, p_result text,
                                     p_checks jsonb, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m         matches_1v1%ROWTYPE;
    v_existing  replays%ROWTYPE;
    v_overruled jsonb := '[]'::jsonb;
    v_was       text;
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF p_user NOT IN (v_m.player_1, v_m.player_2) THEN
        RETURN jsonb_build_object('status', 'not_player');
    END IF;
    -- The file's row is read after the match's lock: two matches' uploads of one file serialise
    -- on the primary key below (the second insert waits, then fails, then reads it).
    SELECT * INTO v_existing FROM replays WHERE content_hash = p_hash;
    IF FOUND AND v_existing.match_id <> p_match THEN
        RETURN jsonb_build_object('status', 'used_elsewhere', 'other_match', v_existing.match_id,
                                  'match', ladder_match_json(p_match));
    END IF;
    IF FOUND THEN
        RETURN jsonb_build_object('status', 'same_replay', 'changed', false, 'match', ladder_match_json(p_match));
    END IF;
    IF v_m.status = 'confirming' THEN
        RETURN jsonb_build_object('status', 'not_confirmed', 'match', ladder_match_json(p_match));
    END IF;
    IF v_m.status NOT IN ('confirmed', 'conflict') THEN
        RETURN jsonb_build_object('status', CASE WHEN v_m.status = 'final' THEN 'decided' ELSE 'closed' END,
                                  'changed', false, 'match', ladder_match_json(p_match));
    END IF;
    BEGIN
        INSERT INTO replays (content_hash, match_id, uploaded_by, s3_key, result, checks, uploaded_at)
        VALUES (p_hash, p_match, p_user, p_key, p_result, p_checks, p_now);
    EXCEPTION WHEN unique_violation THEN
        SELECT * INTO v_existing FROM replays WHERE content_hash = p_hash;
        RETURN jsonb_build_object('status', 'used_elsewhere', 'other_match', v_existing.match_id,
                                  'match', ladder_match_json(p_match));
    END;
    IF p_result IS NULL THEN
        RETURN jsonb_build_object('status', 'ok', 'changed', true, 'transition', NULL,
                                  'match', ladder_match_json(p_match), 'overruled', v_overruled);
    END IF;
    v_was := v_m.status;
    SELECT coalesce(jsonb_agg(uid::text), '[]'::jsonb) INTO v_overruled
    FROM (VALUES (v_m.player_1, v_m.player_1_report), (v_m.player_2, v_m.player_2_report)) AS r(uid, report)
    WHERE report IS NOT NULL AND report <> p_result;
    PERFORM ladder_match_finalize(p_match, p_result, p_now);
    UPDATE matches_1v1 SET decided_by_replay = p_hash WHERE match_id = p_match;
    RETURN jsonb_build_object('status', 'ok', 'changed', true, 'transition', 'final', 'was', v_was,
                              'match', ladder_match_json(p_match), 'overruled', v_overruled);
END $$;
