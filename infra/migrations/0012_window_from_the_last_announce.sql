-- 0012: a match's confirmation window runs from the run of its "match found" job that tells its
-- players, not from the first run.
--
-- The found job announces the match and then sends both DMs. Under Discord's global limit at
-- community scale a DM can wait minutes (the job is put back on the queue, pipeline/worker.py),
-- and 0009 started the window at the first run only: at 2,000 queued players on the local stack,
-- 754 of 1,000 matches were abandoned, their players penalised for DMs that had not reached them.
-- A run of the job happens again only while a DM is still undelivered (a completed job is never
-- re-run: its idempotency record answers), so each run restarts the window from now; a window is
-- never shortened, and a match that is no longer confirming is answered as is.
CREATE OR REPLACE FUNCTION ladder_match_announce(p_match bigint, p_now timestamptz, p_confirm_seconds integer DEFAULT 120)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m matches_1v1%ROWTYPE;
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF v_m.status = 'confirming' THEN
        UPDATE matches_1v1
        SET announced_at = coalesce(announced_at, p_now),
            confirm_deadline = greatest(confirm_deadline, p_now + make_interval(secs => p_confirm_seconds))
        WHERE match_id = p_match;
        -- changed: the first announcement (the fan-out lag is measured once).
        RETURN jsonb_build_object('status', 'ok', 'changed', v_m.announced_at IS NULL, 'match', ladder_match_json(p_match));
    END IF;
    RETURN jsonb_build_object('status', 'ok', 'changed', false, 'match', ladder_match_json(p_match));
END $$;
