-- Operational tables: what each run did, and what it could not do.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.ingestion_runs (
    run_id             VARCHAR NOT NULL,
    game_date          DATE NOT NULL,
    started_at         TIMESTAMPTZ NOT NULL,
    finished_at        TIMESTAMPTZ,
    status             VARCHAR NOT NULL,   -- complete | incomplete | no_games | failed
    games_scheduled    INTEGER,
    games_final        INTEGER,
    games_loaded       INTEGER,
    games_missing      INTEGER,
    games_quarantined  INTEGER,
    used_fallback      BOOLEAN,
    table_counts       JSON,
    errors             JSON,
    PRIMARY KEY (run_id, game_date)
);

CREATE TABLE IF NOT EXISTS ops.dead_letters (
    game_date       DATE NOT NULL,
    endpoint        VARCHAR NOT NULL,
    request_url     VARCHAR NOT NULL,
    game_pk         BIGINT,
    kind            VARCHAR NOT NULL,   -- unavailable | not_found | unparseable
    error           VARCHAR NOT NULL,
    raw_object      VARCHAR,            -- the quarantined body, when one was received
    first_run_id    VARCHAR NOT NULL,
    last_run_id     VARCHAR NOT NULL,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_attempt_at TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL,
    resolved_at     TIMESTAMPTZ,
    PRIMARY KEY (game_date, endpoint, request_url)
);
