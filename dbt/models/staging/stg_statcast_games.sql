-- One row per game: which source serves its pitch data. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'statcast_games'), ['game_pk']) }}
)

select
    game_pk,
    official_date as game_date,
    pitch_source,
    statcast_pitches,
    reason,
    ingested_at
from source
