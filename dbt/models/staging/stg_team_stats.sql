-- One row per date, stat group and club. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'team_stats'), ['stats_date', 'stat_group', 'team_id']) }}
)

select
    stats_date,
    stat_group,
    team_id,
    games_played,
    runs,
    hits,
    home_runs,
    strike_outs,
    base_on_balls,
    putouts,
    errors,
    ingested_at
from source
