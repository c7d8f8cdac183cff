-- One row per player ever seen. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'players'), ['player_id']) }}
)

select
    player_id,
    full_name,
    first_seen_date,
    last_seen_date,
    first_seen_in,
    ingested_at
from source
