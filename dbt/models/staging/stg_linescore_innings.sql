-- One row per game, inning and side: runs, hits, errors. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'linescore_innings'), ['game_pk', 'inning', 'team_side']) }}
)

select
    game_pk,
    official_date as game_date,
    inning,
    team_side,
    team_id,
    runs,
    hits,
    errors,
    left_on_base,
    ingested_at
from source
