-- 0002: the player-setup side of the ladder (/setup, /setcountry, /termsofservice, /activate).
--
-- Each command is ONE call of one function here, sent by the worker as one simple-query message
-- (`BEGIN; SELECT ladder_xxx(...); COMMIT;`): one network round trip through RDS Proxy, with the
-- guard checks, the reads and the writes in the same transaction. Every function returns one
-- jsonb object; {"guard": "<name>"} means a precondition failed and nothing was written.
--
-- Idempotency: the key is the Discord interaction id of the job. A replayed job (same key) writes
-- nothing twice and returns the answer of its first run, found through the row it wrote
-- (player_action_logs.idempotency_key, activation_code_uses.idempotency_key; both unique).
--
-- Operators create activation codes by storing the sha256 hex of the normalised code (trimmed,
-- upper-cased; see ladderline.ladder.commands.activate.hash_code):
--   INSERT INTO activation_codes (code_hash, max_uses, expires_at)
--   VALUES (encode(sha256(convert_to(upper(btrim('  my-code ')), 'UTF8')), 'hex'), 1, now() + interval '30 days');
-- (btrim trims spaces only; Python's strip() trims all whitespace, so paste codes without tabs/newlines.)


-- Which precondition of a command the player fails, or NULL when all hold. Shared by every
-- command that needs a profile / accepted terms / activation (call it inside the command's own
-- function so the check rides in the same round trip).
CREATE FUNCTION ladder_guard(p_user bigint, p_need_terms boolean DEFAULT false,
                             p_need_active boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_player players%ROWTYPE;
BEGIN
    SELECT * INTO v_player FROM players WHERE discord_user_id = p_user;
    IF NOT FOUND THEN
        RETURN 'no_profile';
    END IF;
    IF p_need_terms AND v_player.terms_accepted_at IS NULL THEN
        RETURN 'terms_not_accepted';
    END IF;
    IF p_need_active AND v_player.activated_at IS NULL THEN
        RETURN 'not_activated';
    END IF;
    RETURN NULL;
END $$;


-- The public profile fields of a player row, as the handlers render them.
CREATE FUNCTION ladder_profile_json(p players)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'player_name', p.player_name,
        'alt_names', to_jsonb(p.alt_names),
        'battletag', p.battletag,
        'country', p.country,
        'region', p.region,
        'terms_accepted', p.terms_accepted_at IS NOT NULL,
        'activated', p.activated_at IS NOT NULL)
$$;


-- /setup modal submit: store the validated values as the user's one draft. p_nonce is the modal
-- submit's interaction id (a snowflake: it grows with time), so a replayed older submit never
-- overwrites a newer draft, and a replay of an already confirmed draft does not bring it back.
CREATE FUNCTION ladder_setup_draft(p_user bigint, p_draft jsonb, p_nonce text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF p_nonce !~ '^[0-9]{1,20}$' THEN
        RAISE EXCEPTION 'draft nonce must be a snowflake';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM player_action_logs
                   WHERE discord_user_id = p_user AND action = 'setup_confirmed'
                     AND new_value->>'nonce' = p_nonce) THEN
        INSERT INTO setup_drafts AS d (discord_user_id, draft, draft_version)
        VALUES (p_user, p_draft, p_nonce)
        ON CONFLICT (discord_user_id) DO UPDATE
            SET draft = EXCLUDED.draft, draft_version = EXCLUDED.draft_version, updated_at = now()
            WHERE d.draft_version::numeric <= EXCLUDED.draft_version::numeric;
    END IF;
    RETURN jsonb_build_object('status', 'draft_saved', 'nonce', p_nonce);
END $$;


-- /setup Confirm: the draft becomes the profile (insert or update; created_at, terms, activation
-- and MMR rows of an existing player are kept), a preferences row exists, the action is logged
-- under p_key, and the draft is gone: all in this one transaction.
-- Answers: confirmed (also for a replay of p_key) | already_confirmed (another click on the same
-- draft) | stale (the draft is gone or was replaced by a newer /setup).
CREATE FUNCTION ladder_setup_confirm(p_user bigint, p_nonce text, p_key text)
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
    INSERT INTO players AS p (discord_user_id, player_name, alt_names, battletag, country, region)
    VALUES (p_user,
            v_draft.draft->>'player_name',
            ARRAY(SELECT jsonb_array_elements_text(coalesce(v_draft.draft->'alt_names', '[]'::jsonb))),
            v_draft.draft->>'battletag',
            v_draft.draft->>'country',
            v_draft.draft->>'region')
    ON CONFLICT (discord_user_id) DO UPDATE
        SET player_name = EXCLUDED.player_name, alt_names = EXCLUDED.alt_names,
            battletag = EXCLUDED.battletag, country = EXCLUDED.country, region = EXCLUDED.region,
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


-- /setup Cancel: discard the draft if it is the one on the clicked message.
-- Answers: cancelled (also when there was nothing left to discard) | already_confirmed.
CREATE FUNCTION ladder_setup_cancel(p_user bigint, p_nonce text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM setup_drafts WHERE discord_user_id = p_user AND draft_version = p_nonce;
    IF NOT FOUND AND EXISTS (SELECT 1 FROM player_action_logs
                             WHERE discord_user_id = p_user AND action = 'setup_confirmed'
                               AND new_value->>'nonce' = p_nonce) THEN
        RETURN jsonb_build_object('status', 'already_confirmed');
    END IF;
    RETURN jsonb_build_object('status', 'cancelled');
END $$;


-- /setcountry. Answers: {"guard"} | changed (also for a replay) | unchanged.
CREATE FUNCTION ladder_set_country(p_user bigint, p_country text, p_key text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_log   player_action_logs%ROWTYPE;
    v_guard text;
    v_old   text;
BEGIN
    SELECT * INTO v_log FROM player_action_logs WHERE idempotency_key = p_key;
    IF FOUND THEN
        RETURN jsonb_build_object('status', 'changed', 'old', v_log.old_value->>'country',
                                  'new', v_log.new_value->>'country');
    END IF;
    v_guard := ladder_guard(p_user);
    IF v_guard IS NOT NULL THEN
        RETURN jsonb_build_object('guard', v_guard);
    END IF;
    SELECT country INTO v_old FROM players WHERE discord_user_id = p_user FOR UPDATE;
    IF v_old IS NOT DISTINCT FROM p_country THEN
        RETURN jsonb_build_object('status', 'unchanged', 'new', p_country);
    END IF;
    UPDATE players SET country = p_country, updated_at = now() WHERE discord_user_id = p_user;
    INSERT INTO player_action_logs (idempotency_key, discord_user_id, action, old_value, new_value)
    VALUES (p_key, p_user, 'country_changed', jsonb_build_object('country', v_old),
            jsonb_build_object('country', p_country));
    RETURN jsonb_build_object('status', 'changed', 'old', v_old, 'new', p_country);
END $$;


-- /termsofservice (showing the terms): what the player has accepted so far. Read-only.
CREATE FUNCTION ladder_terms_status(p_user bigint)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'profile', p.discord_user_id IS NOT NULL,
        'accepted_at', floor(extract(epoch FROM p.terms_accepted_at))::bigint)
    FROM (SELECT 1) AS one
    LEFT JOIN players p ON p.discord_user_id = p_user
$$;


-- Terms Accept button: the first acceptance time is kept.
-- Answers: {"guard"} | accepted (also for a replay) | already_accepted; accepted_at in epoch seconds.
CREATE FUNCTION ladder_accept_terms(p_user bigint, p_key text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_guard text;
    v_at    timestamptz;
BEGIN
    IF EXISTS (SELECT 1 FROM player_action_logs WHERE idempotency_key = p_key) THEN
        SELECT terms_accepted_at INTO v_at FROM players WHERE discord_user_id = p_user;
        RETURN jsonb_build_object('status', 'accepted', 'accepted_at', floor(extract(epoch FROM v_at))::bigint);
    END IF;
    v_guard := ladder_guard(p_user);
    IF v_guard IS NOT NULL THEN
        RETURN jsonb_build_object('guard', v_guard);
    END IF;
    UPDATE players SET terms_accepted_at = now(), updated_at = now()
    WHERE discord_user_id = p_user AND terms_accepted_at IS NULL
    RETURNING terms_accepted_at INTO v_at;
    IF NOT FOUND THEN
        SELECT terms_accepted_at INTO v_at FROM players WHERE discord_user_id = p_user;
        RETURN jsonb_build_object('status', 'already_accepted',
                                  'accepted_at', floor(extract(epoch FROM v_at))::bigint);
    END IF;
    INSERT INTO player_action_logs (idempotency_key, discord_user_id, action, old_value, new_value)
    VALUES (p_key, p_user, 'terms_accepted', NULL, jsonb_build_object('terms_accepted_at', v_at));
    RETURN jsonb_build_object('status', 'accepted', 'accepted_at', floor(extract(epoch FROM v_at))::bigint);
END $$;


-- /activate: check the code, consume one use and activate the player in one transaction.
-- The use is consumed by a conditional UPDATE ... WHERE uses < max_uses RETURNING, so concurrent
-- activations can never use a code more often than max_uses (the row lock serialises them).
-- Answers: {"guard"} | activated (also for a replay) | already_active | invalid_code | expired |
-- used_up | already_used (this player used this code before, e.g. before a deactivation).
CREATE FUNCTION ladder_activate(p_user bigint, p_code_hash text, p_key text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_guard  text;
    v_player players%ROWTYPE;
    v_code   activation_codes%ROWTYPE;
BEGIN
    IF EXISTS (SELECT 1 FROM activation_code_uses WHERE idempotency_key = p_key) THEN
        RETURN jsonb_build_object('status', 'activated');
    END IF;
    -- Serialise a player's concurrent /activate calls (two codes at once must not both be used).
    SELECT * INTO v_player FROM players WHERE discord_user_id = p_user FOR UPDATE;
    v_guard := ladder_guard(p_user, true);
    IF v_guard IS NOT NULL THEN
        RETURN jsonb_build_object('guard', v_guard);
    END IF;
    IF v_player.activated_at IS NOT NULL THEN
        RETURN jsonb_build_object('status', 'already_active',
                                  'activated_at', floor(extract(epoch FROM v_player.activated_at))::bigint);
    END IF;
    SELECT * INTO v_code FROM activation_codes WHERE code_hash = p_code_hash;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'invalid_code');
    END IF;
    IF v_code.expires_at IS NOT NULL AND v_code.expires_at <= now() THEN
        RETURN jsonb_build_object('status', 'expired');
    END IF;
    IF EXISTS (SELECT 1 FROM activation_code_uses WHERE code_hash = p_code_hash AND discord_user_id = p_user) THEN
        RETURN jsonb_build_object('status', 'already_used');
    END IF;
    UPDATE activation_codes SET uses = uses + 1
    WHERE code_hash = p_code_hash AND uses < max_uses AND (expires_at IS NULL OR expires_at > now())
    RETURNING * INTO v_code;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'used_up');
    END IF;
    INSERT INTO activation_code_uses (code_hash, discord_user_id, idempotency_key)
    VALUES (p_code_hash, p_user, p_key);
    UPDATE players SET activated_at = now(), updated_at = now() WHERE discord_user_id = p_user;
    INSERT INTO player_action_logs (idempotency_key, discord_user_id, action, old_value, new_value)
    VALUES (p_key, p_user, 'activated', NULL, jsonb_build_object('code_hash', p_code_hash));
    RETURN jsonb_build_object('status', 'activated');
END $$;
