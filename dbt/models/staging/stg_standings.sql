-- One row per date and club. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'standings'), ['standings_date', 'team_id']) }}
)

select
    standings_date,
    season,
    team_id,
    league_id,
    division_id,
    games_played,
    wins,
    losses,
    winning_pct,
    games_back,
    division_rank,
    league_rank,
    runs_scored,
    runs_allowed,
    run_differential,
    streak_code,
    ingested_at
from source
