-- 0020: applications (the seeds' other bot, DOMAIN 13). Staff post a panel with an "Open
-- application" button; a click opens the applicant's private channel (the worker makes it once:
-- pipeline/outbox.py, PrivateChannel); a second click is told where it is.
--
-- The panel is made by one /admin interaction (its id is the action key: a redelivered post makes
-- one panel, logged in staff_actions). An application is one row per (panel, applicant), claimed
-- in the click's transaction; its channel is the delivery `application:<panel>:<user>`, so the
-- database knows it once the worker recorded it.

CREATE TABLE application_panels (
    panel_id     bigserial   PRIMARY KEY,
    action_key   text        NOT NULL UNIQUE,
    guild_id     bigint      NOT NULL,
    channel_id   bigint      NOT NULL,
    category_id  bigint,
    role_id      bigint,
    title        text        NOT NULL CHECK (length(title) BETWEEN 1 AND 80),
    description  text        NOT NULL CHECK (length(description) <= 2000),
    name_pattern text        NOT NULL CHECK (length(name_pattern) BETWEEN 1 AND 50 AND strpos(name_pattern, '%name%') > 0),
    created_by   bigint      NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE applications (
    panel_id        bigint      NOT NULL REFERENCES application_panels (panel_id),
    discord_user_id bigint      NOT NULL,
    channel_name    text        NOT NULL,
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'started', 'withdrawn')),
    opened_at       timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (panel_id, discord_user_id)
);

CREATE FUNCTION ladder_application_panel_json(p application_panels) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('panel_id', p.panel_id, 'guild_id', p.guild_id::text, 'channel_id', p.channel_id::text,
                              'category_id', p.category_id::text, 'role_id', p.role_id::text, 'title', p.title,
                              'description', p.description, 'name_pattern', p.name_pattern)
$$;

-- /admin application_panel: staff only, once per interaction.
CREATE FUNCTION ladder_application_panel(p_staff bigint, p_key text, p_guild bigint, p_channel bigint,
                                         p_args jsonb, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_panel application_panels%ROWTYPE;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM staff WHERE discord_user_id = p_staff) THEN
        RETURN jsonb_build_object('status', 'not_staff');
    END IF;
    INSERT INTO application_panels (action_key, guild_id, channel_id, category_id, role_id, title, description,
                                    name_pattern, created_by, created_at)
    VALUES (p_key, p_guild, p_channel, nullif(p_args->>'category_id', '')::bigint,
            nullif(p_args->>'role_id', '')::bigint, p_args->>'title', coalesce(p_args->>'description', ''),
            p_args->>'name_pattern', p_staff, p_now)
    ON CONFLICT (action_key) DO NOTHING;
    IF FOUND THEN
        INSERT INTO staff_actions (action_key, staff_id, action, details, result, created_at)
        VALUES (p_key, p_staff, 'application_panel', p_args, '{"status": "ok"}', p_now)
        ON CONFLICT (action_key) DO NOTHING;
    END IF;
    SELECT * INTO v_panel FROM application_panels WHERE action_key = p_key;
    RETURN jsonb_build_object('status', 'ok', 'panel', ladder_application_panel_json(v_panel));
END $$;

-- A click on a panel's button: the applicant's application, claimed once. 'new' until the worker
-- recorded the channel (a redelivered or repeated click asks for the same channel, made once by
-- its delivery key); 'exists' with the channel once it is there.
-- The channel's name: the panel's pattern with %name% as the applicant's ladder name (or
-- "applicant-<last 4 digits of their id>" without a profile), reduced to [a-z0-9_-] as the
-- original reduces display names (DOMAIN 13), at most 90 characters.
CREATE FUNCTION ladder_application_open(p_panel bigint, p_user bigint, p_now timestamptz)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_panel application_panels%ROWTYPE;
    v_app   applications%ROWTYPE;
    v_room  bigint;
    v_name  text;
BEGIN
    SELECT * INTO v_panel FROM application_panels WHERE panel_id = p_panel;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown_panel');
    END IF;
    SELECT lower(regexp_replace(player_name, '[^A-Za-z0-9_-]', '', 'g')) INTO v_name
    FROM players WHERE discord_user_id = p_user;
    v_name := left(coalesce(nullif(v_name, ''), 'applicant-' || right(p_user::text, 4)), 90);
    INSERT INTO applications (panel_id, discord_user_id, channel_name, opened_at, updated_at)
    VALUES (p_panel, p_user, lower(replace(v_panel.name_pattern, '%name%', v_name)), p_now, p_now)
    ON CONFLICT (panel_id, discord_user_id) DO NOTHING;
    SELECT * INTO v_app FROM applications WHERE panel_id = p_panel AND discord_user_id = p_user;
    SELECT channel_id INTO v_room FROM deliveries
    WHERE delivery_key = format('application:%s:%s', p_panel, p_user) AND outcome = 'sent';
    RETURN jsonb_build_object('status', CASE WHEN v_room IS NULL THEN 'new' ELSE 'exists' END,
                              'channel_id', v_room::text, 'channel_name', v_app.channel_name,
                              'application_status', v_app.status, 'panel', ladder_application_panel_json(v_panel));
END $$;

-- Start / Withdraw / Resume in the applicant's channel: only the applicant, each a state change
-- that happens once (a repeat finds the state already there).
CREATE FUNCTION ladder_application_set(p_panel bigint, p_user bigint, p_clicker bigint, p_status text,
                                       p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_app applications%ROWTYPE;
BEGIN
    IF p_clicker <> p_user THEN
        RETURN jsonb_build_object('status', 'not_yours');
    END IF;
    SELECT * INTO v_app FROM applications WHERE panel_id = p_panel AND discord_user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', 'unknown');
    END IF;
    IF v_app.status <> p_status THEN
        UPDATE applications SET status = p_status, updated_at = p_now
        WHERE panel_id = p_panel AND discord_user_id = p_user;
    END IF;
    RETURN jsonb_build_object('status', 'ok', 'changed', v_app.status <> p_status, 'application_status', p_status,
                              'panel', (SELECT ladder_application_panel_json(p) FROM application_panels p
                                        WHERE p.panel_id = p_panel));
END $$;
