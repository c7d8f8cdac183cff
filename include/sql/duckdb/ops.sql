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

-- The grade of each table of a game day's batch (seed 003's quality scoring), run by run.
-- A batch is promoted (usable by the features) when its grade is not one its phase retries.
CREATE TABLE IF NOT EXISTS ops.quality_grades (
    run_id                    VARCHAR NOT NULL,
    game_date                 DATE NOT NULL,
    table_name                VARCHAR NOT NULL,
    phase                     VARCHAR NOT NULL,
    suite_version             INTEGER NOT NULL,
    attempt                   INTEGER NOT NULL,   -- 0, then 1.. after re-collecting failing games
    rows_checked              INTEGER NOT NULL,
    grade                     VARCHAR NOT NULL,   -- A | B | C | F
    score                     DOUBLE NOT NULL,
    schema_score              DOUBLE NOT NULL,
    completeness_score        DOUBLE NOT NULL,
    player_completeness_score DOUBLE NOT NULL,
    value_ranges_score        DOUBLE NOT NULL,
    batch_grade               VARCHAR NOT NULL,   -- the worst table grade of the day
    promoted                  BOOLEAN NOT NULL,
    failed_expectations       JSON,
    warnings                  JSON,
    data_docs                 VARCHAR,
    graded_at                 TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, game_date, table_name)
);

-- Backfill detection (seed 004): every gap found, by whom, and what was done about it.
CREATE TABLE IF NOT EXISTS ops.backfill_log (
    detection_id    VARCHAR NOT NULL,   -- one detection (a command or a task run)
    detected_at     TIMESTAMPTZ NOT NULL,
    processor       VARCHAR NOT NULL,   -- collection | incomplete | grading | features
    game_date       DATE NOT NULL,
    item            VARCHAR NOT NULL,   -- the game (game_pk), or 'date'
    reason          VARCHAR NOT NULL,
    action          VARCHAR NOT NULL,   -- reported (dry run) | backfill_created
    command         VARCHAR,
    PRIMARY KEY (detection_id, processor, game_date, item)
);

-- The monthly audit (mlb_monthly_audit): one row per audited month, the latest audit.
CREATE TABLE IF NOT EXISTS ops.audit_reports (
    month           VARCHAR NOT NULL,   -- YYYY-MM
    audited_at      TIMESTAMPTZ NOT NULL,
    status          VARCHAR NOT NULL,   -- passed | failed
    problems        INTEGER NOT NULL,
    summary         VARCHAR NOT NULL,   -- the problems, one a line
    report_url      VARCHAR NOT NULL,   -- <lake>/audit/<month>/report.html
    PRIMARY KEY (month)
);

-- The end-of-season archive (mlb_end_of_season_archival): a row per season and phase once
-- every object is copied to the historical zone and verified. Immutable from then on.
CREATE TABLE IF NOT EXISTS ops.archives (
    season          INTEGER NOT NULL,
    phase           VARCHAR NOT NULL,   -- regular-season | post-season
    archived_at     TIMESTAMPTZ NOT NULL,
    objects         INTEGER NOT NULL,
    manifest        VARCHAR NOT NULL,   -- historical/<phase>/<season>/MANIFEST.json
    manifest_sha256 VARCHAR NOT NULL,
    PRIMARY KEY (season, phase)
);
