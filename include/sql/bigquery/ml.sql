-- The game-outcome model: its versions (a mirror of the registry in object storage), its
-- predictions and their scores. (BigQuery; see ../duckdb/ml.sql.)
CREATE SCHEMA IF NOT EXISTS ml;

-- One row per trained version; models/game_outcome/<version>/ in object storage is the truth.
CREATE TABLE IF NOT EXISTS ml.model_versions (
    model_name        STRING NOT NULL,
    version           STRING NOT NULL,
    trained_at        TIMESTAMP NOT NULL,
    run_id            STRING,
    status            STRING NOT NULL,   -- champion | challenger (not promoted) | retired | pruned
    is_champion       BOOL NOT NULL,
    training_from     DATE NOT NULL,
    training_to       DATE NOT NULL,      -- the last game date it learned from
    cutoff            DATE NOT NULL,      -- games on or after it were held out
    training_games    INT64 NOT NULL,
    holdout_games     INT64 NOT NULL,
    data_checksum     STRING NOT NULL,
    brier             FLOAT64,             -- on its own held-out games
    accuracy          FLOAT64,
    log_loss          FLOAT64,
    baseline_brier    JSON,               -- {"always_home": .., "log5": ..} on the same games
    true_brier        FLOAT64,             -- the true probabilities' (simulated data only)
    decision          STRING,            -- why it was or was not promoted
    uri               STRING NOT NULL,
    metadata          JSON NOT NULL,
    PRIMARY KEY (model_name, version) NOT ENFORCED
);

-- The champion's home-win probability for each game, once per model version.
CREATE TABLE IF NOT EXISTS ml.predictions (
    game_pk               INT64 NOT NULL,
    model_version         STRING NOT NULL,
    game_date             DATE NOT NULL,
    home_team_id          INT64 NOT NULL,
    away_team_id          INT64 NOT NULL,
    home_win_probability  FLOAT64 NOT NULL,
    top_contributions     JSON NOT NULL,  -- [{"feature", "value", "contribution"}], largest first
    predicted_at          TIMESTAMP NOT NULL,
    run_id                STRING,
    PRIMARY KEY (game_pk, model_version) NOT ENFORCED
)
PARTITION BY game_date
CLUSTER BY game_pk;

-- Each game date's predictions against the outcomes, and the rolling 7 days to that date.
CREATE TABLE IF NOT EXISTS ml.prediction_scores (
    game_date        DATE NOT NULL,
    games            INT64 NOT NULL,
    accuracy         FLOAT64 NOT NULL,
    brier            FLOAT64 NOT NULL,
    games_7d         INT64 NOT NULL,
    accuracy_7d      FLOAT64 NOT NULL,
    brier_7d         FLOAT64 NOT NULL,
    model_versions   JSON NOT NULL,
    scored_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (game_date) NOT ENFORCED
)
PARTITION BY game_date;
