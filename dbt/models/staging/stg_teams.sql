-- One row per season and club. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'teams'), ['season', 'team_id']) }}
)

select
    season,
    team_id,
    name,
    abbreviation,
    team_name,
    location_name,
    league_id,
    division_id,
    venue_id,
    active,
    ingested_at
from source
