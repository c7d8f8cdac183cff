-- One row per transaction. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'transactions'), ['transaction_id']) }}
)

select
    transaction_id,
    transaction_date,
    effective_date,
    resolution_date,
    type_code,
    type_desc,
    player_id,
    player_name,
    from_team_id,
    to_team_id,
    description,
    ingested_at
from source
