-- 0019: private rooms. A thread or a private channel is recorded under its delivery key with its
-- id as channel_id and no message id; before it is created, its intent is recorded under `<key>:intent`, so that a
-- re-run knows to look for it before creating another (Discord's thread and channel creation take
-- no nonce;
-- pipeline/outbox.py).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_outcome_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_outcome_check CHECK (outcome IN ('sent', 'refused', 'intent'));
ALTER TABLE deliveries DROP CONSTRAINT deliveries_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_check
    CHECK (outcome = 'refused' OR message_id IS NOT NULL OR (kind IN ('thread', 'channel') AND channel_id IS NOT NULL)
           OR (outcome = 'intent' AND kind IN ('thread_intent', 'channel_intent')));

-- Who joins a match's thread when its reports conflict: every staff member.
CREATE FUNCTION ladder_staff_ids() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('staff', coalesce(jsonb_agg(discord_user_id::text ORDER BY discord_user_id), '[]'::jsonb))
    FROM staff
$$;
