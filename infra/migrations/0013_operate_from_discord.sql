-- 0013: run the ladder from Discord. The first staff (owners) and whether /activate is required
-- come from the deployment (ladder_configure, called by the migrate custom resource with the
-- template's parameters, and by `ladderctl dev` / `ladderctl migrate` from the environment);
-- staff manage the rest with /admin (ladder_admin_ops): staff, activation codes, bans, the queue,
-- and a status view. Every action is claimed under its interaction id in staff_actions first, so
-- it happens once, as ladder_admin's do.

-- Settings the deployment owns (one row). activation_required defaults to false: the original
-- bot dropped its activation gate, and a new community expects /setup then /queue to be enough.
CREATE TABLE ladder_config (
    id                  boolean     PRIMARY KEY DEFAULT true CHECK (id),
    activation_required boolean     NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ladder_config DEFAULT VALUES;

CREATE FUNCTION ladder_activation_required() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT activation_required FROM ladder_config), false)
$$;

-- Owners come from the deployment and cannot be removed by /admin; added_by says who added staff.
ALTER TABLE staff ADD COLUMN owner boolean NOT NULL DEFAULT false,
                  ADD COLUMN added_by bigint;

-- Codes made by /admin code create: who made it, and a revocation (the code stays, refused).
ALTER TABLE activation_codes ADD COLUMN created_by bigint,
                             ADD COLUMN revoked_at timestamptz;

-- Banned players are looked up by the status view and /admin player.
CREATE INDEX players_banned_idx ON players (banned_at) WHERE banned_at IS NOT NULL;


-- The deployment's say: these users are the owners (staff who cannot be removed by command;
-- a former owner stays staff, as an ordinary member), and whether /activate is required.
CREATE FUNCTION ladder_configure(p_owner_ids bigint[], p_activation_required boolean) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE staff SET owner = false WHERE owner AND discord_user_id <> ALL (p_owner_ids);
    INSERT INTO staff (discord_user_id, name, owner)
    SELECT DISTINCT u, 'owner', true FROM unnest(p_owner_ids) u
    ON CONFLICT (discord_user_id) DO UPDATE SET owner = true;
    UPDATE ladder_config SET activation_required = p_activation_required, updated_at = now();
    RETURN jsonb_build_object('owners', (SELECT count(*) FROM staff WHERE owner),
                              'staff', (SELECT count(*) FROM staff),
                              'activation_required', p_activation_required);
END $$;


-- Preconditions, as in 0002, with the activation gate only where the deployment requires it.
CREATE OR REPLACE FUNCTION ladder_guard(p_user bigint, p_need_terms boolean DEFAULT false,
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
    IF p_need_active AND v_player.activated_at IS NULL AND ladder_activation_required() THEN
        RETURN 'not_activated';
    END IF;
    RETURN NULL;
END $$;


-- The profile fields, as in 0002, plus whether activation is required at all (so /setup and
-- /profile do not send players to /activate when the deployment has no gate).
CREATE OR REPLACE FUNCTION ladder_profile_json(p players)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'player_name', p.player_name,
        'alt_names', to_jsonb(p.alt_names),
        'battletag', p.battletag,
        'country', p.country,
        'region', p.region,
        'terms_accepted', p.terms_accepted_at IS NOT NULL,
        'activated', p.activated_at IS NOT NULL,
        'activation_required', ladder_activation_required())
$$;


-- A revoked code is refused like an expired one (0002's ladder_activate checks expires_at against
-- the database's clock), so revoking also moves its expiry to now, whichever clock is earlier.
CREATE FUNCTION ladder_revoke_code(p_code_id text, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_hashes text[];
BEGIN
    v_hashes := ARRAY(SELECT code_hash FROM activation_codes WHERE code_hash LIKE lower(p_code_id) || '%' LIMIT 2);
    IF cardinality(v_hashes) = 0 OR length(p_code_id) < 6 THEN
        RETURN jsonb_build_object('status', 'not_found');
    ELSIF cardinality(v_hashes) > 1 THEN
        RETURN jsonb_build_object('status', 'refused', 'reason', 'ambiguous');
    END IF;
    UPDATE activation_codes SET revoked_at = coalesce(revoked_at, p_now),
                                expires_at = least(coalesce(expires_at, p_now), p_now, now())
    WHERE code_hash = v_hashes[1];
    RETURN jsonb_build_object('status', 'ok', 'code_id', left(v_hashes[1], 8));
END $$;


-- What /admin status shows: one round trip, each count on an index.
CREATE FUNCTION ladder_status_json(p_now timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'queued', (SELECT count(*) FROM queue_entries),
        'confirming', (SELECT count(*) FROM matches_1v1 WHERE status = 'confirming'),
        'in_play', (SELECT count(*) FROM matches_1v1 WHERE status = 'confirmed'),
        'conflicts', (SELECT count(*) FROM matches_1v1 WHERE status = 'conflict'),
        -- Players in a confirmation past its deadline (a sweep frees them within a tick: expected 0).
        'stranded', (SELECT 2 * count(*) FROM matches_1v1 m
                     WHERE m.status = 'confirming' AND m.confirm_deadline <= p_now - interval '90 seconds'
                       AND ladder_confirmation_due(m, p_now - interval '90 seconds')),
        'banned', (SELECT count(*) FROM players WHERE banned_at IS NOT NULL),
        'staff', (SELECT count(*) FROM staff),
        'activation_required', ladder_activation_required(),
        'last_wave', (SELECT jsonb_build_object('at', ladder_epoch(ran_at), 'queued', queued, 'pairs', pairs)
                      FROM matchmaking_waves ORDER BY wave_no DESC LIMIT 1))
$$;


-- The new /admin actions. Same contract as ladder_admin (0007): the caller must be staff; p_key
-- (the interaction id) is claimed first, so a concurrent or replayed run answers the first run's
-- result; every action, reads included, is logged. Answers {status: not_staff | ok | refused
-- (reason) | not_found, ...}.
CREATE FUNCTION ladder_admin_ops(p_staff bigint, p_action text, p_args jsonb, p_key text, p_now timestamptz)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_result jsonb;
    v_user   bigint := nullif(p_args->>'user_id', '')::bigint;
    v_staff  staff%ROWTYPE;
    v_ids    bigint[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM staff WHERE discord_user_id = p_staff) THEN
        RETURN jsonb_build_object('status', 'not_staff');
    END IF;
    INSERT INTO staff_actions (action_key, staff_id, action, target_user, reason, details, result, created_at)
    VALUES (p_key, p_staff, p_action, v_user, p_args->>'reason', p_args - 'code_hash', '{}', p_now)
    ON CONFLICT (action_key) DO NOTHING;
    IF NOT FOUND THEN
        RETURN (SELECT result || jsonb_build_object('replay', true) FROM staff_actions WHERE action_key = p_key);
    END IF;

    IF p_action = 'staff_add' THEN
        INSERT INTO staff (discord_user_id, name, added_by, added_at)
        VALUES (v_user, coalesce(p_args->>'name', ''), p_staff, p_now)
        ON CONFLICT (discord_user_id) DO NOTHING;
        v_result := jsonb_build_object('status', 'ok', 'user_id', v_user::text, 'added', FOUND);
    ELSIF p_action = 'staff_remove' THEN
        SELECT * INTO v_staff FROM staff WHERE discord_user_id = v_user FOR UPDATE;
        IF NOT FOUND THEN
            v_result := jsonb_build_object('status', 'ok', 'user_id', v_user::text, 'removed', false);
        ELSIF v_staff.owner THEN
            v_result := jsonb_build_object('status', 'refused', 'reason', 'owner');
        ELSE
            DELETE FROM staff WHERE discord_user_id = v_user;
            v_result := jsonb_build_object('status', 'ok', 'user_id', v_user::text, 'removed', true);
        END IF;
    ELSIF p_action = 'staff_list' THEN
        v_result := jsonb_build_object('status', 'ok', 'staff', coalesce((
            SELECT jsonb_agg(jsonb_build_object('user_id', discord_user_id::text, 'owner', owner,
                                                'added_at', ladder_epoch(added_at))
                             ORDER BY owner DESC, added_at, discord_user_id)
            FROM (SELECT * FROM staff ORDER BY owner DESC, added_at, discord_user_id LIMIT 50) s), '[]'::jsonb),
            'total', (SELECT count(*) FROM staff));
    ELSIF p_action = 'code_create' THEN
        -- The code itself is never stored (its hash is); a replay answers without it.
        INSERT INTO activation_codes (code_hash, max_uses, created_at, expires_at, created_by)
        VALUES (p_args->>'code_hash', (p_args->>'uses')::integer, p_now,
                p_now + make_interval(days => nullif(p_args->>'days', '')::integer), p_staff);
        v_result := jsonb_build_object('status', 'ok', 'code_id', left(p_args->>'code_hash', 8),
                                       'uses', (p_args->>'uses')::integer,
                                       'expires_at', ladder_epoch(p_now + make_interval(days => nullif(p_args->>'days', '')::integer)));
    ELSIF p_action = 'code_list' THEN
        v_result := jsonb_build_object('status', 'ok', 'codes', coalesce((
            SELECT jsonb_agg(jsonb_build_object('code_id', left(code_hash, 8), 'uses', uses, 'max_uses', max_uses,
                                                'expires_at', ladder_epoch(expires_at),
                                                'created_by', created_by::text) ORDER BY created_at DESC)
            FROM (SELECT * FROM activation_codes
                  WHERE revoked_at IS NULL AND uses < max_uses AND (expires_at IS NULL OR expires_at > p_now)
                  ORDER BY created_at DESC LIMIT 20) c), '[]'::jsonb),
            'usable', (SELECT count(*) FROM activation_codes
                       WHERE revoked_at IS NULL AND uses < max_uses AND (expires_at IS NULL OR expires_at > p_now)));
    ELSIF p_action = 'code_revoke' THEN
        v_result := ladder_revoke_code(p_args->>'code_id', p_now);
    ELSIF p_action IN ('ban', 'unban') THEN
        UPDATE players SET banned_at = CASE WHEN p_action = 'ban' THEN coalesce(banned_at, p_now) END,
                           updated_at = p_now
        WHERE discord_user_id = v_user;
        IF FOUND THEN
            -- A banned player leaves the queue now (a match in progress is staff's to resolve).
            DELETE FROM queue_entries WHERE discord_user_id = v_user AND p_action = 'ban';
            v_result := jsonb_build_object('status', 'ok', 'user_id', v_user::text, 'left_queue', FOUND,
                                           'active_match_id', (SELECT active_match_id FROM players
                                                               WHERE discord_user_id = v_user));
        END IF;
    ELSIF p_action = 'clear_queue' THEN
        WITH gone AS (DELETE FROM queue_entries RETURNING discord_user_id)
        SELECT coalesce(array_agg(discord_user_id ORDER BY discord_user_id), '{}') INTO v_ids FROM gone;
        v_result := jsonb_build_object('status', 'ok', 'removed', cardinality(v_ids),
                                       'user_ids', (SELECT coalesce(jsonb_agg(u::text), '[]'::jsonb) FROM unnest(v_ids) u));
    ELSIF p_action = 'status' THEN
        v_result := jsonb_build_object('status', 'ok', 'ladder', ladder_status_json(p_now));
    ELSE
        RAISE EXCEPTION 'unknown staff action %', p_action;
    END IF;
    v_result := coalesce(v_result, jsonb_build_object('status', 'not_found'));
    UPDATE staff_actions SET result = v_result WHERE action_key = p_key;
    RETURN v_result;
END $$;
