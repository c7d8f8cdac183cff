-- The game-outcome model: its versions (a mirror of the registry in object storage), its
-- predictions and their scores. Kept column for column in step with ../bigquery/ml.sql.
CREATE SCHEMA IF NOT EXISTS ml;

-- One row per trained version; models/game_outcome/<version>/ in object storage is the truth.
CREATE TABLE IF NOT EXISTS ml.model_versions (
    model_name        VARCHAR NOT NULL,
    version           VARCHAR NOT NULL,
    trained_at        TIMESTAMPTZ NOT NULL,
    run_id            VARCHAR,
    status            VARCHAR NOT NULL,   -- champion | challenger (not promoted) | retired | pruned
    is_champion       BOOLEAN NOT NULL,
    training_from     DATE NOT NULL,
    training_to       DATE NOT NULL,      -- the last game date it learned from
    cutoff            DATE NOT NULL,      -- games on or after it were held out
    training_games    INTEGER NOT NULL,
    holdout_games     INTEGER NOT NULL,
    data_checksum     VARCHAR NOT NULL,
    brier             DOUBLE,             -- on its own held-out games
    accuracy          DOUBLE,
    log_loss          DOUBLE,
    baseline_brier    JSON,               -- {"always_home": .., "log5": ..} on the same games
    true_brier        DOUBLE,             -- the true probabilities' (simulated data only)
    decision          VARCHAR,            -- why it was or was not promoted
    uri               VARCHAR NOT NULL,
    metadata          JSON NOT NULL,
    PRIMARY KEY (model_name, version)
);

-- The champion's home-win probability for each game, once per model version.
CREATE TABLE IF NOT EXISTS ml.predictions (
    game_pk               BIGINT NOT NULL,
    model_version         VARCHAR NOT NULL,
    game_date             DATE NOT NULL,
    home_team_id          BIGINT NOT NULL,
    away_team_id          BIGINT NOT NULL,
    home_win_probability  DOUBLE NOT NULL,
    top_contributions     JSON NOT NULL,  -- [{"feature", "value", "contribution"}], largest first
    predicted_at          TIMESTAMPTZ NOT NULL,
    run_id                VARCHAR,
    PRIMARY KEY (game_pk, model_version)
);

-- Each game date's predictions against the outcomes, and the rolling 7 days to that date.
CREATE TABLE IF NOT EXISTS ml.prediction_scores (
    game_date        DATE NOT NULL,
    games            INTEGER NOT NULL,
    accuracy         DOUBLE NOT NULL,
    brier            DOUBLE NOT NULL,
    games_7d         INTEGER NOT NULL,
    accuracy_7d      DOUBLE NOT NULL,
    brier_7d         DOUBLE NOT NULL,
    model_versions   JSON NOT NULL,
    scored_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (game_date)
);
