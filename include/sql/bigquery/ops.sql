-- Operational tables: what each run did, and what it could not do.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.ingestion_runs (
    run_id             STRING NOT NULL,
    game_date          DATE NOT NULL,
    started_at         TIMESTAMP NOT NULL,
    finished_at        TIMESTAMP,
    status             STRING NOT NULL,   -- complete | incomplete | no_games | failed
    games_scheduled    INT64,
    games_final        INT64,
    games_loaded       INT64,
    games_missing      INT64,
    games_quarantined  INT64,
    used_fallback      BOOL,
    table_counts       JSON,
    errors             JSON,
    PRIMARY KEY (run_id, game_date) NOT ENFORCED
)
PARTITION BY game_date
CLUSTER BY status;

CREATE TABLE IF NOT EXISTS ops.dead_letters (
    game_date       DATE NOT NULL,
    endpoint        STRING NOT NULL,
    request_url     STRING NOT NULL,
    game_pk         INT64,
    kind            STRING NOT NULL,   -- unavailable | not_found | unparseable
    error           STRING NOT NULL,
    raw_object      STRING,            -- the quarantined body, when one was received
    first_run_id    STRING NOT NULL,
    last_run_id     STRING NOT NULL,
    first_seen_at   TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP NOT NULL,
    attempts        INT64 NOT NULL,
    resolved_at     TIMESTAMP,
    PRIMARY KEY (game_date, endpoint, request_url) NOT ENFORCED
)
PARTITION BY game_date
CLUSTER BY endpoint;

-- The grade of each table of a game day's batch (seed 003's quality scoring), run by run.
-- A batch is promoted (usable by the features) when its grade is not one its phase retries.
CREATE TABLE IF NOT EXISTS ops.quality_grades (
    run_id                    STRING NOT NULL,
    game_date                 DATE NOT NULL,
    table_name                STRING NOT NULL,
    phase                     STRING NOT NULL,
    suite_version             INT64 NOT NULL,
    attempt                   INT64 NOT NULL,
    rows_checked              INT64 NOT NULL,
    grade                     STRING NOT NULL,
    score                     FLOAT64 NOT NULL,
    schema_score              FLOAT64 NOT NULL,
    completeness_score        FLOAT64 NOT NULL,
    player_completeness_score FLOAT64 NOT NULL,
    value_ranges_score        FLOAT64 NOT NULL,
    batch_grade               STRING NOT NULL,
    promoted                  BOOL NOT NULL,
    failed_expectations       JSON,
    warnings                  JSON,
    data_docs                 STRING,
    graded_at                 TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, game_date, table_name) NOT ENFORCED
)
PARTITION BY game_date;

-- Backfill detection (seed 004); see ../duckdb/ops.sql.
CREATE TABLE IF NOT EXISTS ops.backfill_log (
    detection_id    STRING NOT NULL,
    detected_at     TIMESTAMP NOT NULL,
    processor       STRING NOT NULL,
    game_date       DATE NOT NULL,
    item            STRING NOT NULL,
    reason          STRING NOT NULL,
    action          STRING NOT NULL,
    command         STRING,
    PRIMARY KEY (detection_id, processor, game_date, item) NOT ENFORCED
)
PARTITION BY game_date;

CREATE TABLE IF NOT EXISTS ops.audit_reports (
    month           STRING NOT NULL,
    audited_at      TIMESTAMP NOT NULL,
    status          STRING NOT NULL,
    problems        INT64 NOT NULL,
    summary         STRING NOT NULL,
    report_url      STRING NOT NULL,
    PRIMARY KEY (month) NOT ENFORCED
);

CREATE TABLE IF NOT EXISTS ops.archives (
    season          INT64 NOT NULL,
    phase           STRING NOT NULL,
    archived_at     TIMESTAMP NOT NULL,
    objects         INT64 NOT NULL,
    manifest        STRING NOT NULL,
    manifest_sha256 STRING NOT NULL,
    PRIMARY KEY (season, phase) NOT ENFORCED
);
