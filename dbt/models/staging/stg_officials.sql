-- One row per game and umpire position (raw.officials). Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'officials'), ['game_pk', 'position']) }}
)

select
    game_pk,
    official_date as game_date,
    position,
    umpire_id,
    umpire_name,
    ingested_at
from source
