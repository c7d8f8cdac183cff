-- One row per club per game: runs scored and allowed, hits, home or away, the opponent,
-- days of rest since its previous game, the doubleheader flag and the game type. Final
-- games of promoted game days only (a day graded F never reaches the features), and
-- Retrosheet's games (history from files: int_retrosheet_games); ``source`` says which.
with games as (
    select
        g.game_pk, g.game_date, g.season, g.game_type, g.game_number, g.is_doubleheader, g.game_datetime,
        'statsapi' as source
    from {{ ref('stg_games') }} as g
    inner join {{ ref('stg_game_day_grades') }} as d
        on d.game_date = g.game_date and d.promoted
    where g.is_final
    union all
    select
        r.game_pk, r.game_date, r.season, r.game_type, r.game_number, r.is_doubleheader,
        cast(null as {{ dbt.type_timestamp() }}) as game_datetime, 'retrosheet' as source
    from {{ ref('int_retrosheet_games') }} as r
),

lines as (
    select
        game_pk, team_side, team_id, runs, hits, at_bats, home_runs, base_on_balls, strike_outs, pitching_outs
    from {{ ref('stg_team_lines') }}
    union all
    select
        game_pk, team_side, team_id, runs, hits, at_bats, home_runs, base_on_balls, strike_outs, pitching_outs
    from {{ ref('stg_retrosheet_team_lines') }}
),

sides as (
    select
        g.game_pk,
        g.game_date,
        g.season,
        g.game_type,
        g.game_number,
        g.is_doubleheader,
        g.game_datetime,
        l.team_id,
        o.team_id as opponent_id,
        l.team_side = 'home' as is_home,
        l.runs as runs_scored,
        o.runs as runs_allowed,
        l.hits,
        o.hits as hits_allowed,
        l.at_bats,
        l.home_runs,
        l.base_on_balls,
        l.strike_outs,
        l.pitching_outs,
        l.runs > o.runs as won,
        g.source
    from games as g
    inner join lines as l on l.game_pk = g.game_pk
    inner join lines as o on o.game_pk = g.game_pk and o.team_side <> l.team_side
),

ordered as (
    select
        *,
        lag(game_date) over (
            partition by team_id, season order by game_date, game_number, game_datetime
        ) as previous_game_date
    from sides
)

select
    *,
    -- Days off between the club's previous game and this one: 0 after playing the day
    -- before (or earlier the same day), null for its first game of the season.
    case
        when previous_game_date is null then null
        else greatest({{ dbt.datediff('previous_game_date', 'game_date', 'day') }} - 1, 0)
    end as rest_days
from ordered
