-- Normalised raw tables (BigQuery, production). One row per natural key (the
-- PRIMARY KEY); every row carries ingested_at, source and a content hash. Kept column
-- for column in step with ../duckdb/raw.sql (a test checks it).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS raw.games (
    game_pk            INT64 NOT NULL,
    official_date      DATE NOT NULL,
    season             STRING NOT NULL,
    game_type          STRING NOT NULL,
    phase              STRING NOT NULL,
    game_number        INT64,
    double_header      STRING,
    game_datetime      TIMESTAMP,
    day_night          STRING,
    venue_id           INT64,
    home_team_id       INT64 NOT NULL,
    away_team_id       INT64 NOT NULL,
    home_score         INT64,
    away_score         INT64,
    home_hits          INT64,
    away_hits          INT64,
    home_errors        INT64,
    away_errors        INT64,
    innings            INT64,
    status_code        STRING NOT NULL,
    abstract_state     STRING,
    detailed_state     STRING,
    is_final           BOOL NOT NULL,
    winning_pitcher_id INT64,
    losing_pitcher_id  INT64,
    save_pitcher_id    INT64,
    raw_object         STRING,
    ingested_at        TIMESTAMP NOT NULL,
    source             STRING NOT NULL,
    content_hash       STRING NOT NULL,
    PRIMARY KEY (game_pk) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY home_team_id, away_team_id;

CREATE TABLE IF NOT EXISTS raw.linescore_innings (
    game_pk       INT64 NOT NULL,
    official_date DATE NOT NULL,
    inning        INT64 NOT NULL,
    team_side     STRING NOT NULL,
    team_id       INT64 NOT NULL,
    runs          INT64,
    hits          INT64,
    errors        INT64,
    left_on_base  INT64,
    ingested_at   TIMESTAMP NOT NULL,
    source        STRING NOT NULL,
    content_hash  STRING NOT NULL,
    PRIMARY KEY (game_pk, inning, team_side) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY game_pk;

CREATE TABLE IF NOT EXISTS raw.batting_lines (
    game_pk                 INT64 NOT NULL,
    official_date           DATE NOT NULL,
    team_side               STRING NOT NULL,
    team_id                 INT64 NOT NULL,
    player_id               INT64 NOT NULL,
    player_name             STRING,
    batting_order           INT64,
    position                STRING,
    at_bats                 INT64,
    plate_appearances       INT64,
    runs                    INT64,
    hits                    INT64,
    doubles                 INT64,
    triples                 INT64,
    home_runs               INT64,
    rbi                     INT64,
    base_on_balls           INT64,
    intentional_walks       INT64,
    strike_outs             INT64,
    hit_by_pitch            INT64,
    stolen_bases            INT64,
    caught_stealing         INT64,
    left_on_base            INT64,
    sac_bunts               INT64,
    sac_flies               INT64,
    ground_into_double_play INT64,
    total_bases             INT64,
    putouts                 INT64,
    assists                 INT64,
    errors                  INT64,
    ingested_at             TIMESTAMP NOT NULL,
    source                  STRING NOT NULL,
    content_hash            STRING NOT NULL,
    PRIMARY KEY (game_pk, player_id) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY team_id, game_pk;

CREATE TABLE IF NOT EXISTS raw.pitching_lines (
    game_pk           INT64 NOT NULL,
    official_date     DATE NOT NULL,
    team_side         STRING NOT NULL,
    team_id           INT64 NOT NULL,
    player_id         INT64 NOT NULL,
    player_name       STRING,
    pitching_order    INT64,
    innings_pitched   STRING,
    outs              INT64,
    batters_faced     INT64,
    hits              INT64,
    runs              INT64,
    earned_runs       INT64,
    base_on_balls     INT64,
    strike_outs       INT64,
    home_runs         INT64,
    hit_by_pitch      INT64,
    number_of_pitches INT64,
    strikes           INT64,
    balls             INT64,
    wins              INT64,
    losses            INT64,
    saves             INT64,
    holds             INT64,
    blown_saves       INT64,
    games_started     INT64,
    ingested_at       TIMESTAMP NOT NULL,
    source            STRING NOT NULL,
    content_hash      STRING NOT NULL,
    PRIMARY KEY (game_pk, player_id) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY team_id, game_pk;

CREATE TABLE IF NOT EXISTS raw.pitches (
    game_pk          INT64 NOT NULL,
    official_date    DATE NOT NULL,
    at_bat_index     INT64 NOT NULL,
    event_index      INT64 NOT NULL,
    pitch_number     INT64,
    play_id          STRING,
    inning           INT64,
    half_inning      STRING,
    batter_id        INT64,
    pitcher_id       INT64,
    pitch_type       STRING,
    call_code        STRING,
    call_description STRING,
    is_in_play       BOOL,
    is_strike        BOOL,
    is_ball          BOOL,
    balls            INT64,
    strikes          INT64,
    outs             INT64,
    start_speed      FLOAT64,
    end_speed        FLOAT64,
    spin_rate        FLOAT64,
    spin_direction   FLOAT64,
    extension        FLOAT64,
    zone             INT64,
    plate_x          FLOAT64,
    plate_z          FLOAT64,
    sz_top           FLOAT64,
    sz_bottom        FLOAT64,
    launch_speed     FLOAT64,
    launch_angle     FLOAT64,
    total_distance   FLOAT64,
    trajectory       STRING,
    start_time       TIMESTAMP,
    ingested_at      TIMESTAMP NOT NULL,
    source           STRING NOT NULL,
    content_hash     STRING NOT NULL,
    PRIMARY KEY (game_pk, at_bat_index, event_index) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY game_pk, pitcher_id;

-- Reference data of a game day (issue #3): teams per season, standings and active
-- rosters by date, and every player ever seen (incremental discovery).
CREATE TABLE IF NOT EXISTS raw.teams (
    season          STRING NOT NULL,
    team_id         INT64 NOT NULL,
    name            STRING NOT NULL,
    abbreviation    STRING,
    team_name       STRING,
    location_name   STRING,
    league_id       INT64,
    division_id     INT64,
    venue_id        INT64,
    active          BOOL,
    ingested_at     TIMESTAMP NOT NULL,
    source          STRING NOT NULL,
    content_hash    STRING NOT NULL,
    PRIMARY KEY (season, team_id) NOT ENFORCED
)
CLUSTER BY team_id;

CREATE TABLE IF NOT EXISTS raw.standings (
    standings_date   DATE NOT NULL,
    season           STRING NOT NULL,
    team_id          INT64 NOT NULL,
    league_id        INT64,
    division_id      INT64,
    games_played     INT64,
    wins             INT64 NOT NULL,
    losses           INT64 NOT NULL,
    winning_pct      FLOAT64,
    games_back       STRING,
    division_rank    INT64,
    league_rank      INT64,
    runs_scored      INT64,
    runs_allowed     INT64,
    run_differential INT64,
    streak_code      STRING,
    ingested_at      TIMESTAMP NOT NULL,
    source           STRING NOT NULL,
    content_hash     STRING NOT NULL,
    PRIMARY KEY (standings_date, team_id) NOT ENFORCED
)
PARTITION BY standings_date
CLUSTER BY team_id;

CREATE TABLE IF NOT EXISTS raw.rosters (
    roster_date      DATE NOT NULL,
    roster_type      STRING NOT NULL,
    team_id          INT64 NOT NULL,
    player_id        INT64 NOT NULL,
    player_name      STRING,
    jersey_number    STRING,
    position_code    STRING,
    position         STRING,
    status_code      STRING,
    ingested_at      TIMESTAMP NOT NULL,
    source           STRING NOT NULL,
    content_hash     STRING NOT NULL,
    PRIMARY KEY (roster_date, roster_type, team_id, player_id) NOT ENFORCED
)
PARTITION BY roster_date
CLUSTER BY team_id, player_id;

CREATE TABLE IF NOT EXISTS raw.players (
    player_id        INT64 NOT NULL,
    full_name        STRING,
    first_seen_date  DATE NOT NULL,
    last_seen_date   DATE NOT NULL,
    first_seen_in    STRING NOT NULL,   -- boxscore | roster | transaction
    ingested_at      TIMESTAMP NOT NULL,
    source           STRING NOT NULL,
    content_hash     STRING NOT NULL,
    PRIMARY KEY (player_id) NOT ENFORCED
)
CLUSTER BY player_id;

-- Stats of the players and clubs who played on a date (the API's byDateRange stats for
-- that one day; season-to-date figures are sums over dates, built downstream). Every
-- player who played has a row, qualified or not (playerPool=ALL, paged with limit/offset).
CREATE TABLE IF NOT EXISTS raw.player_stats (
    stats_date       DATE NOT NULL,
    stat_group       STRING NOT NULL,   -- hitting | pitching
    player_id        INT64 NOT NULL,
    team_id          INT64 NOT NULL,
    player_name      STRING,
    games_played     INT64,
    plate_appearances INT64,
    at_bats          INT64,
    runs             INT64,
    hits             INT64,
    home_runs        INT64,
    rbi              INT64,
    base_on_balls    INT64,
    strike_outs      INT64,
    outs             INT64,
    earned_runs      INT64,
    stats            JSON,               -- every stat the API sent, as sent
    ingested_at      TIMESTAMP NOT NULL,
    source           STRING NOT NULL,
    content_hash     STRING NOT NULL,
    PRIMARY KEY (stats_date, stat_group, player_id, team_id) NOT ENFORCED
)
PARTITION BY stats_date
CLUSTER BY team_id, player_id;

CREATE TABLE IF NOT EXISTS raw.team_stats (
    stats_date       DATE NOT NULL,
    stat_group       STRING NOT NULL,   -- hitting | pitching | fielding
    team_id          INT64 NOT NULL,
    games_played     INT64,
    runs             INT64,
    hits             INT64,
    home_runs        INT64,
    strike_outs      INT64,
    base_on_balls    INT64,
    putouts          INT64,
    errors           INT64,
    stats            JSON,
    ingested_at      TIMESTAMP NOT NULL,
    source           STRING NOT NULL,
    content_hash     STRING NOT NULL,
    PRIMARY KEY (stats_date, stat_group, team_id) NOT ENFORCED
)
PARTITION BY stats_date
CLUSTER BY team_id;

-- Transactions (trades, IL placements, call-ups, signings, releases) by date.
CREATE TABLE IF NOT EXISTS raw.transactions (
    transaction_id   INT64 NOT NULL,
    transaction_date DATE NOT NULL,
    effective_date   DATE,
    resolution_date  DATE,
    type_code        STRING,
    type_desc        STRING,
    player_id        INT64,
    player_name      STRING,
    from_team_id     INT64,
    to_team_id       INT64,
    description      STRING,
    ingested_at      TIMESTAMP NOT NULL,
    source           STRING NOT NULL,
    content_hash     STRING NOT NULL,
    PRIMARY KEY (transaction_id) NOT ENFORCED
)
PARTITION BY transaction_date
CLUSTER BY to_team_id, player_id;

-- Statcast pitches from Baseball Savant (pybaseball's statcast_single_game CSV), one row a pitch.
-- The whole CSV (about 90 columns) stays in the raw zone; these are the columns we use.
CREATE TABLE IF NOT EXISTS raw.statcast_pitches (
    game_pk           INT64 NOT NULL,
    game_date         DATE NOT NULL,
    game_type         STRING,
    at_bat_number     INT64 NOT NULL,
    pitch_number      INT64 NOT NULL,
    inning            INT64,
    inning_topbot     STRING,
    outs_when_up      INT64,
    balls             INT64,
    strikes           INT64,
    home_team         STRING,
    away_team         STRING,
    batter_id         INT64,
    pitcher_id        INT64,
    player_name       STRING,
    stand             STRING,
    p_throws          STRING,
    pitch_type        STRING,
    pitch_name        STRING,
    call_type         STRING,
    description       STRING,
    events            STRING,
    zone              INT64,
    release_speed     FLOAT64,
    effective_speed   FLOAT64,
    release_spin_rate FLOAT64,
    release_extension FLOAT64,
    release_pos_x     FLOAT64,
    release_pos_z     FLOAT64,
    pfx_x             FLOAT64,
    pfx_z             FLOAT64,
    plate_x           FLOAT64,
    plate_z           FLOAT64,
    sz_top            FLOAT64,
    sz_bot            FLOAT64,
    bb_type           STRING,
    launch_speed      FLOAT64,
    launch_angle      FLOAT64,
    hit_distance      FLOAT64,
    estimated_ba      FLOAT64,
    estimated_woba    FLOAT64,
    woba_value        FLOAT64,
    home_score        INT64,
    away_score        INT64,
    post_home_score   INT64,
    post_away_score   INT64,
    ingested_at       TIMESTAMP NOT NULL,
    source            STRING NOT NULL,
    content_hash      STRING NOT NULL,
    PRIMARY KEY (game_pk, at_bat_number, pitch_number) NOT ENFORCED
)
PARTITION BY game_date
CLUSTER BY game_pk, pitcher_id;

-- Which source served each game's pitch data: baseball_savant (raw.statcast_pitches, or its
-- raw-zone copy when Savant failed) or statsapi_feed (Savant had nothing: raw.pitches), and why.
CREATE TABLE IF NOT EXISTS raw.statcast_games (
    game_pk           INT64 NOT NULL,
    official_date     DATE NOT NULL,
    pitch_source      STRING NOT NULL,
    statcast_pitches  INT64 NOT NULL,
    reason            STRING,
    raw_object        STRING,
    ingested_at       TIMESTAMP NOT NULL,
    source            STRING NOT NULL,
    content_hash      STRING NOT NULL,
    PRIMARY KEY (game_pk) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY game_pk;

-- A club's totals in one game, as the box score states them (teamStats; putouts summed over
-- its fielders): what the consistency identities compare the player lines against.
CREATE TABLE IF NOT EXISTS raw.team_lines (
    game_pk                INT64 NOT NULL,
    official_date          DATE NOT NULL,
    team_side              STRING NOT NULL,
    team_id                INT64 NOT NULL,
    runs                   INT64,
    hits                   INT64,
    at_bats                INT64,
    home_runs              INT64,
    rbi                    INT64,
    base_on_balls          INT64,
    strike_outs            INT64,
    left_on_base           INT64,
    pitching_runs          INT64,
    pitching_hits          INT64,
    pitching_base_on_balls INT64,
    pitching_strike_outs   INT64,
    pitching_home_runs     INT64,
    pitching_outs          INT64,
    number_of_pitches      INT64,
    putouts                INT64,
    ingested_at            TIMESTAMP NOT NULL,
    source                 STRING NOT NULL,
    content_hash           STRING NOT NULL,
    PRIMARY KEY (game_pk, team_side) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY game_pk, team_id;

-- Every game as the schedule lists it on a date (see ../duckdb/raw.sql).
CREATE TABLE IF NOT EXISTS raw.schedule (
    game_pk            INT64 NOT NULL,
    official_date      DATE NOT NULL,
    season             STRING NOT NULL,
    game_type          STRING NOT NULL,
    phase              STRING NOT NULL,
    game_number        INT64,
    double_header      STRING,
    game_datetime      TIMESTAMP,
    home_team_id       INT64,
    away_team_id       INT64,
    coded_state        STRING NOT NULL,
    abstract_state     STRING,
    detailed_state     STRING,
    is_postponed       BOOL NOT NULL,
    resume_date        DATE,
    resumed_from       DATE,
    schedule_object    STRING,
    ingested_at        TIMESTAMP NOT NULL,
    source             STRING NOT NULL,
    content_hash       STRING NOT NULL,
    PRIMARY KEY (game_pk, official_date) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY game_pk;

-- Game conditions and officials (see ../duckdb/raw.sql).
CREATE TABLE IF NOT EXISTS raw.game_conditions (
    game_pk               INT64 NOT NULL,
    official_date         DATE NOT NULL,
    venue_id              INT64,
    venue_name            STRING,
    venue_capacity        INT64,
    roof_type             STRING,
    day_night             STRING,
    weather_condition     STRING,
    temperature           INT64,
    wind                  STRING,
    wind_speed            INT64,
    wind_direction        STRING,
    attendance            INT64,
    game_duration_minutes INT64,
    ingested_at           TIMESTAMP NOT NULL,
    source                STRING NOT NULL,
    content_hash          STRING NOT NULL,
    PRIMARY KEY (game_pk) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY venue_id;

CREATE TABLE IF NOT EXISTS raw.officials (
    game_pk       INT64 NOT NULL,
    official_date DATE NOT NULL,
    position      STRING NOT NULL,
    umpire_id     INT64,
    umpire_name   STRING,
    ingested_at   TIMESTAMP NOT NULL,
    source        STRING NOT NULL,
    content_hash  STRING NOT NULL,
    PRIMARY KEY (game_pk, position) NOT ENFORCED
)
PARTITION BY official_date
CLUSTER BY umpire_id;
