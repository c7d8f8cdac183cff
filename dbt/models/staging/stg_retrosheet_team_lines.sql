-- One row per Retrosheet game and side: the club's totals from the game log, named as
-- stg_team_lines names the Stats API's box-score totals.
with games as (
    {{ latest_version(source('raw', 'retrosheet_games'), ['retro_game_id']) }}
),

clubs as (
    select retro_team, team_id from {{ source('raw', 'retrosheet_teams') }}
)

{%- for side, other in [('home', 'away'), ('away', 'home')] %}
select
    {{ retrosheet_game_pk('g.game_date', 'h.team_id', 'g.game_number') }} as game_pk,
    g.game_date,
    '{{ side }}' as team_side,
    c.team_id,
    g.{{ side }}_score as runs,
    g.{{ side }}_hits as hits,
    g.{{ side }}_at_bats as at_bats,
    g.{{ side }}_doubles as doubles,
    g.{{ side }}_triples as triples,
    g.{{ side }}_home_runs as home_runs,
    g.{{ side }}_rbi as rbi,
    g.{{ side }}_walks as base_on_balls,
    g.{{ side }}_hit_by_pitch as hit_by_pitch,
    g.{{ side }}_sacrifice_flies as sac_flies,
    g.{{ side }}_strikeouts as strike_outs,
    g.{{ side }}_left_on_base as left_on_base,
    g.{{ side }}_putouts as pitching_outs,  -- the outs its fielders recorded
    g.{{ side }}_individual_earned_runs as pitching_earned_runs,
    g.{{ side }}_pitchers_used as pitchers_used,
    g.ingested_at
from games as g
inner join clubs as c on c.retro_team = g.{{ side }}_team
inner join clubs as h on h.retro_team = g.home_team
{% if not loop.last %}union all{% endif %}
{%- endfor %}
