-- One row per club per final game whose starting pitcher is known: who started, and what the
-- club's pitchers allowed that game (runs, and the batters' walks, strikeouts and home runs);
-- and per club per game still to be played whose starter the schedule announces (its probable
-- pitcher), without an outcome: the morning's predictions see the starters' form.
-- The staff's, not the starter's own line: Retrosheet's game logs name the starter but give
-- only team totals, and one definition serves both sources. A pitcher is keyed by source
-- ('mlbam:<id>' or 'retro:<id>'): no crosswalk joins the two (docs/MODEL.md).
with starters as (
    select game_pk, team_id, 'mlbam:' || cast(pitcher_id as {{ dbt.type_string() }}) as starter_key
    from {{ ref('int_starting_pitchers') }}
    union all
    {%- for side in ['home', 'away'] %}
    select game_pk, {{ side }}_team_id as team_id, 'retro:' || {{ side }}_starting_pitcher_id as starter_key
    from {{ ref('int_retrosheet_games') }}
    where {{ side }}_starting_pitcher_id is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    t.game_pk,
    t.game_date,
    t.season,
    t.game_number,
    t.team_id,
    s.starter_key,
    t.runs_allowed,
    o.base_on_balls as walks_allowed,
    o.strike_outs as strikeouts,
    o.home_runs as home_runs_allowed,
    t.source
from {{ ref('int_team_games') }} as t
inner join starters as s on s.game_pk = t.game_pk and s.team_id = t.team_id
inner join {{ ref('int_team_games') }} as o on o.game_pk = t.game_pk and o.team_id = t.opponent_id
{%- for side in ['home', 'away'] %}
union all
select
    g.game_pk,
    g.game_date,
    g.season,
    g.game_number,
    g.{{ side }}_team_id as team_id,
    'mlbam:' || cast(s.{{ side }}_probable_pitcher_id as {{ dbt.type_string() }}) as starter_key,
    cast(null as integer) as runs_allowed,
    cast(null as integer) as walks_allowed,
    cast(null as integer) as strikeouts,
    cast(null as integer) as home_runs_allowed,
    g.source
from {{ ref('int_games') }} as g
inner join {{ ref('stg_schedule') }} as s on s.game_pk = g.game_pk and s.game_date = g.game_date
where not g.is_final and s.{{ side }}_probable_pitcher_id is not null
{%- endfor %}
