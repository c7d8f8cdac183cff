-- Normalised raw tables (DuckDB, embedded default). One row per natural key (the
-- PRIMARY KEY); every row carries ingested_at, source and a content hash. Kept column
-- for column in step with ../bigquery/raw.sql (a test checks it).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS raw.games (
    game_pk            BIGINT NOT NULL,
    official_date      DATE NOT NULL,
    season             VARCHAR NOT NULL,
    game_type          VARCHAR NOT NULL,
    phase              VARCHAR NOT NULL,
    game_number        INTEGER,
    double_header      VARCHAR,
    game_datetime      TIMESTAMPTZ,
    day_night          VARCHAR,
    venue_id           BIGINT,
    home_team_id       BIGINT NOT NULL,
    away_team_id       BIGINT NOT NULL,
    home_score         INTEGER,
    away_score         INTEGER,
    home_hits          INTEGER,
    away_hits          INTEGER,
    home_errors        INTEGER,
    away_errors        INTEGER,
    innings            INTEGER,
    status_code        VARCHAR NOT NULL,
    abstract_state     VARCHAR,
    detailed_state     VARCHAR,
    is_final           BOOLEAN NOT NULL,
    winning_pitcher_id BIGINT,
    losing_pitcher_id  BIGINT,
    save_pitcher_id    BIGINT,
    raw_object         VARCHAR,
    ingested_at        TIMESTAMPTZ NOT NULL,
    source             VARCHAR NOT NULL,
    content_hash       VARCHAR NOT NULL,
    PRIMARY KEY (game_pk)
);

CREATE TABLE IF NOT EXISTS raw.linescore_innings (
    game_pk       BIGINT NOT NULL,
    official_date DATE NOT NULL,
    inning        INTEGER NOT NULL,
    team_side     VARCHAR NOT NULL,
    team_id       BIGINT NOT NULL,
    runs          INTEGER,
    hits          INTEGER,
    errors        INTEGER,
    left_on_base  INTEGER,
    ingested_at   TIMESTAMPTZ NOT NULL,
    source        VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    PRIMARY KEY (game_pk, inning, team_side)
);

CREATE TABLE IF NOT EXISTS raw.batting_lines (
    game_pk                 BIGINT NOT NULL,
    official_date           DATE NOT NULL,
    team_side               VARCHAR NOT NULL,
    team_id                 BIGINT NOT NULL,
    player_id               BIGINT NOT NULL,
    player_name             VARCHAR,
    batting_order           INTEGER,
    position                VARCHAR,
    at_bats                 INTEGER,
    plate_appearances       INTEGER,
    runs                    INTEGER,
    hits                    INTEGER,
    doubles                 INTEGER,
    triples                 INTEGER,
    home_runs               INTEGER,
    rbi                     INTEGER,
    base_on_balls           INTEGER,
    intentional_walks       INTEGER,
    strike_outs             INTEGER,
    hit_by_pitch            INTEGER,
    stolen_bases            INTEGER,
    caught_stealing         INTEGER,
    left_on_base            INTEGER,
    sac_bunts               INTEGER,
    sac_flies               INTEGER,
    ground_into_double_play INTEGER,
    total_bases             INTEGER,
    putouts                 INTEGER,
    assists                 INTEGER,
    errors                  INTEGER,
    ingested_at             TIMESTAMPTZ NOT NULL,
    source                  VARCHAR NOT NULL,
    content_hash            VARCHAR NOT NULL,
    PRIMARY KEY (game_pk, player_id)
);

CREATE TABLE IF NOT EXISTS raw.pitching_lines (
    game_pk           BIGINT NOT NULL,
    official_date     DATE NOT NULL,
    team_side         VARCHAR NOT NULL,
    team_id           BIGINT NOT NULL,
    player_id         BIGINT NOT NULL,
    player_name       VARCHAR,
    pitching_order    INTEGER,
    innings_pitched   VARCHAR,
    outs              INTEGER,
    batters_faced     INTEGER,
    hits              INTEGER,
    runs              INTEGER,
    earned_runs       INTEGER,
    base_on_balls     INTEGER,
    strike_outs       INTEGER,
    home_runs         INTEGER,
    hit_by_pitch      INTEGER,
    number_of_pitches INTEGER,
    strikes           INTEGER,
    balls             INTEGER,
    wins              INTEGER,
    losses            INTEGER,
    saves             INTEGER,
    holds             INTEGER,
    blown_saves       INTEGER,
    games_started     INTEGER,
    ingested_at       TIMESTAMPTZ NOT NULL,
    source            VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,
    PRIMARY KEY (game_pk, player_id)
);

CREATE TABLE IF NOT EXISTS raw.pitches (
    game_pk          BIGINT NOT NULL,
    official_date    DATE NOT NULL,
    at_bat_index     INTEGER NOT NULL,
    event_index      INTEGER NOT NULL,
    pitch_number     INTEGER,
    play_id          VARCHAR,
    inning           INTEGER,
    half_inning      VARCHAR,
    batter_id        BIGINT,
    pitcher_id       BIGINT,
    pitch_type       VARCHAR,
    call_code        VARCHAR,
    call_description VARCHAR,
    is_in_play       BOOLEAN,
    is_strike        BOOLEAN,
    is_ball          BOOLEAN,
    balls            INTEGER,
    strikes          INTEGER,
    outs             INTEGER,
    start_speed      DOUBLE,
    end_speed        DOUBLE,
    spin_rate        DOUBLE,
    spin_direction   DOUBLE,
    extension        DOUBLE,
    zone             INTEGER,
    plate_x          DOUBLE,
    plate_z          DOUBLE,
    sz_top           DOUBLE,
    sz_bottom        DOUBLE,
    launch_speed     DOUBLE,
    launch_angle     DOUBLE,
    total_distance   DOUBLE,
    trajectory       VARCHAR,
    start_time       TIMESTAMPTZ,
    ingested_at      TIMESTAMPTZ NOT NULL,
    source           VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    PRIMARY KEY (game_pk, at_bat_index, event_index)
);

-- Reference data of a game day (issue #3): teams per season, standings and active
-- rosters by date, and every player ever seen (incremental discovery).
CREATE TABLE IF NOT EXISTS raw.teams (
    season          VARCHAR NOT NULL,
    team_id         BIGINT NOT NULL,
    name            VARCHAR NOT NULL,
    abbreviation    VARCHAR,
    team_name       VARCHAR,
    location_name   VARCHAR,
    league_id       BIGINT,
    division_id     BIGINT,
    venue_id        BIGINT,
    active          BOOLEAN,
    ingested_at     TIMESTAMPTZ NOT NULL,
    source          VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,
    PRIMARY KEY (season, team_id)
);

CREATE TABLE IF NOT EXISTS raw.standings (
    standings_date   DATE NOT NULL,
    season           VARCHAR NOT NULL,
    team_id          BIGINT NOT NULL,
    league_id        BIGINT,
    division_id      BIGINT,
    games_played     INTEGER,
    wins             INTEGER NOT NULL,
    losses           INTEGER NOT NULL,
    winning_pct      DOUBLE,
    games_back       VARCHAR,
    division_rank    INTEGER,
    league_rank      INTEGER,
    runs_scored      INTEGER,
    runs_allowed     INTEGER,
    run_differential INTEGER,
    streak_code      VARCHAR,
    ingested_at      TIMESTAMPTZ NOT NULL,
    source           VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    PRIMARY KEY (standings_date, team_id)
);

CREATE TABLE IF NOT EXISTS raw.rosters (
    roster_date      DATE NOT NULL,
    roster_type      VARCHAR NOT NULL,
    team_id          BIGINT NOT NULL,
    player_id        BIGINT NOT NULL,
    player_name      VARCHAR,
    jersey_number    VARCHAR,
    position_code    VARCHAR,
    position         VARCHAR,
    status_code      VARCHAR,
    ingested_at      TIMESTAMPTZ NOT NULL,
    source           VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    PRIMARY KEY (roster_date, roster_type, team_id, player_id)
);

CREATE TABLE IF NOT EXISTS raw.players (
    player_id        BIGINT NOT NULL,
    full_name        VARCHAR,
    first_seen_date  DATE NOT NULL,
    last_seen_date   DATE NOT NULL,
    first_seen_in    VARCHAR NOT NULL,   -- boxscore | roster | transaction
    ingested_at      TIMESTAMPTZ NOT NULL,
    source           VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    PRIMARY KEY (player_id)
);

-- Stats of the players and clubs who played on a date (the API's byDateRange stats for
-- that one day; season-to-date figures are sums over dates, built downstream). Every
-- player who played has a row, qualified or not (playerPool=ALL, paged with limit/offset).
CREATE TABLE IF NOT EXISTS raw.player_stats (
    stats_date       DATE NOT NULL,
    stat_group       VARCHAR NOT NULL,   -- hitting | pitching
    player_id        BIGINT NOT NULL,
    team_id          BIGINT NOT NULL,
    player_name      VARCHAR,
    games_played     INTEGER,
    plate_appearances INTEGER,
    at_bats          INTEGER,
    runs             INTEGER,
    hits             INTEGER,
    home_runs        INTEGER,
    rbi              INTEGER,
    base_on_balls    INTEGER,
    strike_outs      INTEGER,
    outs             INTEGER,
    earned_runs      INTEGER,
    stats            JSON,               -- every stat the API sent, as sent
    ingested_at      TIMESTAMPTZ NOT NULL,
    source           VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    PRIMARY KEY (stats_date, stat_group, player_id, team_id)
);

CREATE TABLE IF NOT EXISTS raw.team_stats (
    stats_date       DATE NOT NULL,
    stat_group       VARCHAR NOT NULL,   -- hitting | pitching | fielding
    team_id          BIGINT NOT NULL,
    games_played     INTEGER,
    runs             INTEGER,
    hits             INTEGER,
    home_runs        INTEGER,
    strike_outs      INTEGER,
    base_on_balls    INTEGER,
    putouts          INTEGER,
    errors           INTEGER,
    stats            JSON,
    ingested_at      TIMESTAMPTZ NOT NULL,
    source           VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    PRIMARY KEY (stats_date, stat_group, team_id)
);

-- Transactions (trades, IL placements, call-ups, signings, releases) by date.
CREATE TABLE IF NOT EXISTS raw.transactions (
    transaction_id   BIGINT NOT NULL,
    transaction_date DATE NOT NULL,
    effective_date   DATE,
    resolution_date  DATE,
    type_code        VARCHAR,
    type_desc        VARCHAR,
    player_id        BIGINT,
    player_name      VARCHAR,
    from_team_id     BIGINT,
    to_team_id       BIGINT,
    description      VARCHAR,
    ingested_at      TIMESTAMPTZ NOT NULL,
    source           VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    PRIMARY KEY (transaction_id)
);

-- Statcast pitches from Baseball Savant (pybaseball's statcast_single_game CSV), one row a pitch.
-- The whole CSV (about 90 columns) stays in the raw zone; these are the columns we use.
CREATE TABLE IF NOT EXISTS raw.statcast_pitches (
    game_pk           BIGINT NOT NULL,
    game_date         DATE NOT NULL,
    game_type         VARCHAR,
    at_bat_number     INTEGER NOT NULL,
    pitch_number      INTEGER NOT NULL,
    inning            INTEGER,
    inning_topbot     VARCHAR,
    outs_when_up      INTEGER,
    balls             INTEGER,
    strikes           INTEGER,
    home_team         VARCHAR,
    away_team         VARCHAR,
    batter_id         BIGINT,
    pitcher_id        BIGINT,
    player_name       VARCHAR,
    stand             VARCHAR,
    p_throws          VARCHAR,
    pitch_type        VARCHAR,
    pitch_name        VARCHAR,
    call_type         VARCHAR,
    description       VARCHAR,
    events            VARCHAR,
    zone              INTEGER,
    release_speed     DOUBLE,
    effective_speed   DOUBLE,
    release_spin_rate DOUBLE,
    release_extension DOUBLE,
    release_pos_x     DOUBLE,
    release_pos_z     DOUBLE,
    pfx_x             DOUBLE,
    pfx_z             DOUBLE,
    plate_x           DOUBLE,
    plate_z           DOUBLE,
    sz_top            DOUBLE,
    sz_bot            DOUBLE,
    bb_type           VARCHAR,
    launch_speed      DOUBLE,
    launch_angle      DOUBLE,
    hit_distance      DOUBLE,
    estimated_ba      DOUBLE,
    estimated_woba    DOUBLE,
    woba_value        DOUBLE,
    home_score        INTEGER,
    away_score        INTEGER,
    post_home_score   INTEGER,
    post_away_score   INTEGER,
    ingested_at       TIMESTAMPTZ NOT NULL,
    source            VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,
    PRIMARY KEY (game_pk, at_bat_number, pitch_number)
);

-- Which source served each game's pitch data: baseball_savant (raw.statcast_pitches, or its
-- raw-zone copy when Savant failed) or statsapi_feed (Savant had nothing: raw.pitches), and why.
CREATE TABLE IF NOT EXISTS raw.statcast_games (
    game_pk           BIGINT NOT NULL,
    official_date     DATE NOT NULL,
    pitch_source      VARCHAR NOT NULL,
    statcast_pitches  INTEGER NOT NULL,
    reason            VARCHAR,
    raw_object        VARCHAR,
    ingested_at       TIMESTAMPTZ NOT NULL,
    source            VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,
    PRIMARY KEY (game_pk)
);

-- A club's totals in one game, as the box score states them (teamStats; putouts summed over
-- its fielders): what the consistency identities compare the player lines against.
CREATE TABLE IF NOT EXISTS raw.team_lines (
    game_pk                BIGINT NOT NULL,
    official_date          DATE NOT NULL,
    team_side              VARCHAR NOT NULL,
    team_id                BIGINT NOT NULL,
    runs                   INTEGER,
    hits                   INTEGER,
    at_bats                INTEGER,
    home_runs              INTEGER,
    rbi                    INTEGER,
    base_on_balls          INTEGER,
    strike_outs            INTEGER,
    left_on_base           INTEGER,
    pitching_runs          INTEGER,
    pitching_hits          INTEGER,
    pitching_base_on_balls INTEGER,
    pitching_strike_outs   INTEGER,
    pitching_home_runs     INTEGER,
    pitching_outs          INTEGER,
    number_of_pitches      INTEGER,
    putouts                INTEGER,
    ingested_at            TIMESTAMPTZ NOT NULL,
    source                 VARCHAR NOT NULL,
    content_hash           VARCHAR NOT NULL,
    PRIMARY KEY (game_pk, team_side)
);

-- Every game as the schedule lists it on a date (the run's date, the next game day, the
-- dates it re-checks): games still to be played are known before they have a feed, so the
-- features and the model can see them. Postponed games keep their row on the old date.
CREATE TABLE IF NOT EXISTS raw.schedule (
    game_pk            BIGINT NOT NULL,
    official_date      DATE NOT NULL,
    season             VARCHAR NOT NULL,
    game_type          VARCHAR NOT NULL,
    phase              VARCHAR NOT NULL,
    game_number        INTEGER,
    double_header      VARCHAR,
    game_datetime      TIMESTAMPTZ,
    home_team_id       BIGINT,
    away_team_id       BIGINT,
    coded_state        VARCHAR NOT NULL,
    abstract_state     VARCHAR,
    detailed_state     VARCHAR,
    is_postponed       BOOLEAN NOT NULL,
    resume_date        DATE,
    resumed_from       DATE,
    schedule_object    VARCHAR,            -- the landed schedule response
    ingested_at        TIMESTAMPTZ NOT NULL,
    source             VARCHAR NOT NULL,
    content_hash       VARCHAR NOT NULL,
    PRIMARY KEY (game_pk, official_date)
);

-- Game conditions and officials (plugins/mlb_pipeline/kinds/game_conditions.py), from the
-- game's live feed and merged in its transaction. One row a game: venue, weather,
-- attendance, duration (NULL until the feed has them).
CREATE TABLE IF NOT EXISTS raw.game_conditions (
    game_pk               BIGINT NOT NULL,
    official_date         DATE NOT NULL,
    venue_id              BIGINT,
    venue_name            VARCHAR,
    venue_capacity        INTEGER,
    roof_type             VARCHAR,            -- Open, Retractable, Dome
    day_night             VARCHAR,
    weather_condition     VARCHAR,            -- "Sunny", "Roof Closed", "Dome", ...
    temperature           INTEGER,            -- degrees Fahrenheit
    wind                  VARCHAR,            -- as the feed writes it: "8 mph, Out To CF"
    wind_speed            INTEGER,            -- mph
    wind_direction        VARCHAR,            -- "Out To CF", "In From LF", "L To R", "Calm", ...
    attendance            INTEGER,
    game_duration_minutes INTEGER,
    ingested_at           TIMESTAMPTZ NOT NULL,
    source                VARCHAR NOT NULL,
    content_hash          VARCHAR NOT NULL,
    PRIMARY KEY (game_pk)
);

-- One row a game and umpire position (Home Plate, First Base, Second Base, Third Base;
-- Left Field and Right Field in the postseason).
CREATE TABLE IF NOT EXISTS raw.officials (
    game_pk       BIGINT NOT NULL,
    official_date DATE NOT NULL,
    position      VARCHAR NOT NULL,
    umpire_id     BIGINT,
    umpire_name   VARCHAR,
    ingested_at   TIMESTAMPTZ NOT NULL,
    source        VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    PRIMARY KEY (game_pk, position)
);
