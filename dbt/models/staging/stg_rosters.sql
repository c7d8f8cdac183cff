-- One row per date, roster type, club and player. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'rosters'), ['roster_date', 'roster_type', 'team_id', 'player_id']) }}
)

select
    roster_date,
    roster_type,
    team_id,
    player_id,
    player_name,
    jersey_number,
    position_code,
    position,
    status_code,
    ingested_at
from source
