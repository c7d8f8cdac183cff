-- One row per game and date as the schedule lists it (raw.schedule): games still to be
-- played are here before they have a feed. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'schedule'), ['game_pk', 'official_date']) }}
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
    home_team_id,
    away_team_id,
    coded_state as status_code,
    detailed_state,
    is_postponed,
    resumed_from,
    home_probable_pitcher_id,
    away_probable_pitcher_id,
    ingested_at
from source
