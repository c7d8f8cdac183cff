-- One row per game: teams, final score, state, decisions. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'games'), ['game_pk']) }}
)

select
    game_pk,
    official_date as game_date,
    cast(season as integer) as season,
    game_type,
    phase,
    game_number,
    double_header,
    double_header in ('Y', 'S') as is_doubleheader,
    game_datetime,
    day_night,
    venue_id,
    home_team_id,
    away_team_id,
    home_score,
    away_score,
    home_hits,
    away_hits,
    home_errors,
    away_errors,
    innings,
    status_code,
    abstract_state,
    detailed_state,
    is_final,
    winning_pitcher_id,
    losing_pitcher_id,
    save_pitcher_id,
    ingested_at
from source
