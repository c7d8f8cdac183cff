-- One row per date, stat group, player and club. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'player_stats'), ['stats_date', 'stat_group', 'player_id', 'team_id']) }}
)

select
    stats_date,
    stat_group,
    player_id,
    team_id,
    player_name,
    games_played,
    plate_appearances,
    at_bats,
    runs,
    hits,
    home_runs,
    rbi,
    base_on_balls,
    strike_outs,
    outs,
    earned_runs,
    ingested_at
from source
