-- 0014: a match's confirmation window starts once both players have been told.
--
-- A match's found job announces it (0009/0012: announced_at, deadline = now + 120 s) and then
-- sends both DMs. When the second DM is rate limited (Discord's DM-open bucket is small; a wave
-- of new players opens thousands), the job comes back later, and the sweep could abandon the
-- match at the first run's deadline before the second player ever saw it (measured: 2,000-player
-- wave, 339 of 1,000 matches abandoned, most with one player told). Now the found job, once both
-- DMs are out, publishes a `match_told` job, which records told_at and restarts the window from
-- there; a match never fully told is cancelled at its creation + the announce limit, as before.
-- Matches announced by the previous release (told_at never set) end at that limit too.

ALTER TABLE matches_1v1 ADD COLUMN told_at timestamptz;

CREATE OR REPLACE FUNCTION ladder_confirmation_due(p_m matches_1v1, p_now timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_m.status = 'confirming' AND p_m.confirm_deadline <= p_now
           AND (p_m.told_at IS NOT NULL OR p_m.created_at + ladder_announce_limit() <= p_now)
$$;

-- Both players have their found DM: the window runs from now (never shortened). Answers
-- {status: unknown | ok, changed (this call told it), match}.
CREATE FUNCTION ladder_match_told(p_match bigint, p_now timestamptz, p_confirm_seconds integer DEFAULT 120)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_m matches_1v1%ROWTYPE;
BEGIN
    SELECT * INTO v_m FROM matches_1v1 WHERE match_id = p_match FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF v_m.status = 'confirming' AND v_m.told_at IS NULL THEN
        UPDATE matches_1v1
        SET told_at = p_now,
            confirm_deadline = greatest(confirm_deadline, p_now + make_interval(secs => p_confirm_seconds))
        WHERE match_id = p_match;
    END IF;
    RETURN jsonb_build_object('status', 'ok', 'changed', v_m.status = 'confirming' AND v_m.told_at IS NULL,
                              'match', ladder_match_json(p_match));
END $$;
