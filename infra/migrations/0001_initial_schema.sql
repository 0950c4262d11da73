-- 0001: the ladder's tables and indices. Forward-only: never edit an applied migration, add 0002+.
--
-- Keys are Discord snowflakes (bigint) or idempotency keys, never serial/identity columns:
-- nextval() pins an RDS Proxy connection to its client for the rest of the session, which
-- defeats the proxy's pooling. Every write carries a natural key enforced by a unique
-- constraint, so a retried SQS message (same interaction) writes nothing twice (ON CONFLICT).
-- Later: matches_1v1 (0002+) will carry its own idempotency key under a UNIQUE constraint too.

-- A player's profile. discord_user_id is the identity; names are display labels.
-- player_name is NOT unique (not even case-insensitively): StarCraft names are not unique
-- (that is why BattleTags carry a #number), a unique index would let anyone squat the name of
-- a player who has not registered yet, and it would add a failure path to /setup's confirm.
-- A plain index on lower(player_name) serves look-ups by name.
CREATE TABLE players (
    discord_user_id   bigint      PRIMARY KEY,
    player_name       text,
    alt_names         text[]      NOT NULL DEFAULT '{}',
    battletag         text,
    country           char(2)     CHECK (country ~ '^[A-Z]{2}$'),
    region            text,
    terms_accepted_at timestamptz,
    activated_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX players_lower_name_idx ON players (lower(player_name));
-- Leaderboard filters by country/region join on these, then sort the (few) matching rows.
CREATE INDEX players_country_idx ON players (country, discord_user_id) WHERE country IS NOT NULL;
CREATE INDEX players_region_idx ON players (region, discord_user_id) WHERE region IS NOT NULL;

-- MMR per player and race (a player can ladder several races).
CREATE TABLE mmrs_1v1 (
    discord_user_id bigint  NOT NULL REFERENCES players (discord_user_id) ON DELETE CASCADE,
    race            text    NOT NULL CHECK (race <> ''),
    mmr             integer NOT NULL DEFAULT 1500,
    games_played    integer NOT NULL DEFAULT 0 CHECK (games_played >= 0),
    games_won       integer NOT NULL DEFAULT 0 CHECK (games_won >= 0),
    games_lost      integer NOT NULL DEFAULT 0 CHECK (games_lost >= 0),
    games_drawn     integer NOT NULL DEFAULT 0 CHECK (games_drawn >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (discord_user_id, race),
    CHECK (games_played = games_won + games_lost + games_drawn)
);
-- Leaderboard per race: mmr desc, ties broken by discord_user_id so that pages (keyset or
-- OFFSET) are stable between requests. The PK already serves the profile (all races of a user).
CREATE INDEX mmrs_1v1_leaderboard_idx ON mmrs_1v1 (race, mmr DESC, discord_user_id);
-- Leaderboard over all races (one row per player and race), same tie-breaker.
CREATE INDEX mmrs_1v1_leaderboard_all_idx ON mmrs_1v1 (mmr DESC, discord_user_id, race);

-- What /queue pre-selects next time.
CREATE TABLE preferences_1v1 (
    discord_user_id    bigint      PRIMARY KEY REFERENCES players (discord_user_id) ON DELETE CASCADE,
    last_chosen_races  text[]      NOT NULL DEFAULT '{}',
    last_chosen_vetoes text[]      NOT NULL DEFAULT '{}',
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Significant player actions only (profile set, country changed, terms accepted, activated).
-- The idempotency key is the primary key (no identity column: see the top of this file), so a
-- retried command logs its action once. No FK to players: the log may precede the profile row
-- (e.g. terms accepted before /setup) and should outlive a deleted profile.
CREATE TABLE player_action_logs (
    idempotency_key text        PRIMARY KEY,
    discord_user_id bigint      NOT NULL,
    action          text        NOT NULL,
    old_value       jsonb,
    new_value       jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX player_action_logs_user_idx ON player_action_logs (discord_user_id, created_at DESC);

-- Analytics: one row per interaction, written in batches per SQS batch (never on a user's path).
-- Only the primary key: every extra index slows the batched inserts.
CREATE TABLE command_calls (
    interaction_id bigint      PRIMARY KEY,
    user_id        bigint      NOT NULL,
    guild_id       bigint      NULL,
    command        text        NOT NULL,
    received_at    timestamptz NOT NULL,
    processed_at   timestamptz NOT NULL,
    outcome        text        NOT NULL
);

-- Activation codes are stored only as sha256 hex of the normalised code, so a database read
-- does not leak usable codes.
CREATE TABLE activation_codes (
    code_hash  text        PRIMARY KEY CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    max_uses   integer     NOT NULL DEFAULT 1 CHECK (max_uses > 0),
    uses       integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NULL,
    CHECK (uses >= 0 AND uses <= max_uses)
);

-- One row per successful use: a user uses a given code at most once (PK), and a retried
-- /activate (same idempotency key) is recognised instead of counting a second use.
CREATE TABLE activation_code_uses (
    code_hash       text        NOT NULL REFERENCES activation_codes (code_hash),
    discord_user_id bigint      NOT NULL,
    idempotency_key text        NOT NULL UNIQUE,
    used_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code_hash, discord_user_id)
);
CREATE INDEX activation_code_uses_user_idx ON activation_code_uses (discord_user_id);

-- /setup keeps the modal's values here between the modal submit and the Confirm button
-- (the worker is stateless). draft_version is a nonce carried in the buttons' custom_id, so a
-- stale Confirm (an older draft's message) is refused. No FK: drafts precede the profile.
CREATE TABLE setup_drafts (
    discord_user_id bigint      PRIMARY KEY,
    draft           jsonb       NOT NULL,
    draft_version   text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- For pruning abandoned drafts.
CREATE INDEX setup_drafts_updated_idx ON setup_drafts (updated_at);
