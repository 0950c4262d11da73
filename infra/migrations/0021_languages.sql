-- The players' language (ladderline.ladder.i18n): `language` is the player's own choice from
-- /setup (NULL: follow Discord's client), `locale` the client's locale their last interaction
-- carried. Messages that answer nothing (a tick's DMs) use coalesce(language, locale).
ALTER TABLE players
    ADD COLUMN language text CHECK (language IN ('en', 'es-419', 'ko', 'ru', 'zh-CN')),
    ADD COLUMN locale   text CHECK (length(locale) <= 16);

-- Every answer asks this once: the player's choice (NULL: none, or no profile yet), recording the
-- client's locale when it changed (an UPDATE that matches no row writes nothing).
CREATE FUNCTION ladder_language(p_user bigint, p_locale text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_language text;
BEGIN
    IF p_locale IS NOT NULL AND length(p_locale) <= 16 THEN
        UPDATE players SET locale = p_locale
        WHERE discord_user_id = p_user AND locale IS DISTINCT FROM p_locale;
    END IF;
    SELECT language INTO v_language FROM players WHERE discord_user_id = p_user;
    RETURN to_jsonb(v_language);
END $$;

-- The profile fields (0013's) plus the language choice, so /setup and /profile can show it.
CREATE OR REPLACE FUNCTION ladder_profile_json(p players)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'player_name', p.player_name,
        'alt_names', to_jsonb(p.alt_names),
        'battletag', p.battletag,
        'country', p.country,
        'region', p.region,
        'language', p.language,
        'terms_accepted', p.terms_accepted_at IS NOT NULL,
        'activated', p.activated_at IS NOT NULL,
        'activation_required', ladder_activation_required())
$$;

-- /setup Confirm (0002's), now also saving the `language:` choice the draft carries ('auto': follow
-- Discord's client again).
CREATE OR REPLACE FUNCTION ladder_setup_confirm(p_user bigint, p_nonce text, p_key text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_log   player_action_logs%ROWTYPE;
    v_draft setup_drafts%ROWTYPE;
    v_old   players%ROWTYPE;
    v_new   players%ROWTYPE;
    v_created boolean;
    v_value jsonb;
BEGIN
    SELECT * INTO v_log FROM player_action_logs WHERE idempotency_key = p_key;
    IF FOUND THEN
        SELECT * INTO v_new FROM players WHERE discord_user_id = p_user;
        RETURN jsonb_build_object('status', 'confirmed', 'created', (v_log.new_value->>'created')::boolean,
                                  'profile', ladder_profile_json(v_new));
    END IF;

    -- Lock the draft first: a concurrent Confirm of the same draft waits here, then finds the
    -- draft gone and (with a fresh snapshot below) the first click's log row.
    SELECT * INTO v_draft FROM setup_drafts WHERE discord_user_id = p_user FOR UPDATE;

    SELECT * INTO v_log FROM player_action_logs
    WHERE discord_user_id = p_user AND action = 'setup_confirmed' AND new_value->>'nonce' = p_nonce
    LIMIT 1;
    IF FOUND THEN
        SELECT * INTO v_new FROM players WHERE discord_user_id = p_user;
        RETURN jsonb_build_object('status', 'already_confirmed', 'profile', ladder_profile_json(v_new));
    END IF;
    IF v_draft.discord_user_id IS NULL OR v_draft.draft_version <> p_nonce THEN
        RETURN jsonb_build_object('status', 'stale');
    END IF;

    SELECT * INTO v_old FROM players WHERE discord_user_id = p_user FOR UPDATE;
    v_created := NOT FOUND;
    INSERT INTO players AS p (discord_user_id, player_name, alt_names, battletag, country, region, language)
    VALUES (p_user,
            v_draft.draft->>'player_name',
            ARRAY(SELECT jsonb_array_elements_text(coalesce(v_draft.draft->'alt_names', '[]'::jsonb))),
            v_draft.draft->>'battletag',
            v_draft.draft->>'country',
            v_draft.draft->>'region',
            nullif(v_draft.draft->>'language', 'auto'))
    ON CONFLICT (discord_user_id) DO UPDATE
        SET player_name = EXCLUDED.player_name, alt_names = EXCLUDED.alt_names,
            battletag = EXCLUDED.battletag, country = EXCLUDED.country, region = EXCLUDED.region,
            -- A draft without a language (no `language:` option given) keeps the player's choice.
            language = CASE WHEN v_draft.draft ? 'language' THEN EXCLUDED.language ELSE p.language END,
            updated_at = now()
    RETURNING * INTO v_new;
    INSERT INTO preferences_1v1 (discord_user_id) VALUES (p_user) ON CONFLICT DO NOTHING;

    v_value := v_draft.draft || jsonb_build_object('nonce', p_nonce, 'created', v_created);
    INSERT INTO player_action_logs (idempotency_key, discord_user_id, action, old_value, new_value)
    VALUES (p_key, p_user, 'setup_confirmed',
            CASE WHEN v_created THEN NULL ELSE ladder_profile_json(v_old) END, v_value);
    DELETE FROM setup_drafts WHERE discord_user_id = p_user;

    RETURN jsonb_build_object('status', 'confirmed', 'created', v_created,
                              'profile', ladder_profile_json(v_new));
END $$;

-- The match (0015's) with each player's language, so every DM about it speaks the recipient's.
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
                               'language', coalesce(p1.language, p1.locale),
                               'race', m.player_1_race, 'mmr', m.player_1_mmr,
                               'confirmed', m.player_1_confirmed_at IS NOT NULL, 'report', m.player_1_report,
                               'mmr_change', m.player_1_mmr_change),
            jsonb_build_object('user_id', m.player_2::text, 'name', p2.player_name, 'battletag', p2.battletag,
                               'alt_names', to_jsonb(p2.alt_names), 'country', p2.country, 'region', p2.region,
                               'language', coalesce(p2.language, p2.locale),
                               'race', m.player_2_race, 'mmr', m.player_2_mmr,
                               'confirmed', m.player_2_confirmed_at IS NOT NULL, 'report', m.player_2_report,
                               'mmr_change', m.player_2_mmr_change)))
    FROM matches_1v1 m
    JOIN players p1 ON p1.discord_user_id = m.player_1
    JOIN players p2 ON p2.discord_user_id = m.player_2
    WHERE m.match_id = p_match
$$;

-- The expiry tick (0006's), with each expired player's language for their DM.
CREATE OR REPLACE FUNCTION ladder_queue_expire(p_tick text, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        DELETE FROM queue_entries WHERE joined_at <= p_now - interval '150 minutes'
        RETURNING join_key, discord_user_id, joined_at
    )
    INSERT INTO queue_expiries (join_key, discord_user_id, tick_id, joined_at, expired_at)
    SELECT join_key, discord_user_id, p_tick, joined_at, p_now FROM gone
    ON CONFLICT DO NOTHING;
    RETURN jsonb_build_object('expired', coalesce((
        SELECT jsonb_agg(jsonb_build_object('user_id', x.discord_user_id::text, 'join_key', x.join_key,
                                            'joined_at', ladder_epoch(x.joined_at),
                                            'language', coalesce(p.language, p.locale)) ORDER BY x.join_key)
        FROM queue_expiries x LEFT JOIN players p ON p.discord_user_id = x.discord_user_id
        WHERE x.tick_id = p_tick), '[]'::jsonb));
END $$;

-- Who a queue alert is still true for (0018's), with each one's language for the DM:
-- 'languages' maps a free user's id to coalesce(language, locale) (absent: English).
CREATE OR REPLACE FUNCTION ladder_queue_alert_recipients(p_join_key text, p_joiner bigint, p_users jsonb)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH free AS (
        SELECT p.discord_user_id, coalesce(p.language, p.locale) AS language
        FROM players p
        JOIN queue_alerts a ON a.discord_user_id = p.discord_user_id  -- still subscribed
        WHERE p.discord_user_id IN (SELECT u::bigint FROM jsonb_array_elements_text(p_users) AS u)
          AND p.active_match_id IS NULL AND p.banned_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM queue_entries q WHERE q.discord_user_id = p.discord_user_id)
    )
    SELECT jsonb_build_object(
        'joiner_queued', EXISTS (SELECT 1 FROM queue_entries q
                                 WHERE q.discord_user_id = p_joiner AND q.join_key = p_join_key),
        'free', coalesce((SELECT jsonb_agg(discord_user_id::text ORDER BY discord_user_id) FROM free), '[]'::jsonb),
        'languages', coalesce((SELECT jsonb_object_agg(discord_user_id::text, language) FROM free
                               WHERE language IS NOT NULL), '{}'::jsonb))
$$;

-- A player's language for a message that answers nothing of theirs (a staff action's DM):
-- their choice, else the locale of their last interaction (NULL: English).
CREATE FUNCTION ladder_player_language(p_user bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT to_jsonb(coalesce(language, locale)) FROM players WHERE discord_user_id = p_user
$$;
