-- 0018: a queue alert is re-checked when it is sent, not only when it is claimed.
--
-- The claim (0017's ladder_queue_alerts) picks free players at the join; their DMs go out in
-- send jobs of their own, which a rate limit or a backlog may hold for minutes. By then a
-- recipient may be queueing or in a match (never alert them then) and the joiner may have left
-- the queue (the news is no longer true). The send job asks this first, in its one round trip.
-- p_users: a JSON array of user ids (as the worker's one call sends lists).
CREATE FUNCTION ladder_queue_alert_recipients(p_join_key text, p_joiner bigint, p_users jsonb)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'joiner_queued', EXISTS (SELECT 1 FROM queue_entries q
                                 WHERE q.discord_user_id = p_joiner AND q.join_key = p_join_key),
        'free', coalesce((
            SELECT jsonb_agg(p.discord_user_id::text ORDER BY p.discord_user_id)
            FROM players p
            JOIN queue_alerts a ON a.discord_user_id = p.discord_user_id  -- still subscribed
            WHERE p.discord_user_id IN (SELECT u::bigint FROM jsonb_array_elements_text(p_users) AS u)
              AND p.active_match_id IS NULL AND p.banned_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM queue_entries q WHERE q.discord_user_id = p.discord_user_id)
        ), '[]'::jsonb))
$$;
