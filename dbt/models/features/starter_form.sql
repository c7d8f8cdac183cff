{{ config(materialized='table', cluster_by=feature_clustering(['starter_key'])) }}
{%- set starts = var('starter_window_starts') -%}
{%- set prior = var('starter_prior_starts') -%}
{%- set measures = ['runs_allowed', 'fip_points', 'strikeouts', 'walks_allowed'] -%}
-- Per start: the starting pitcher's form over his previous {{ starts }} starts (any season),
-- from what his club allowed in them (int_starts: runs, FIP points = 13 HR + 3 BB - 2 K,
-- strikeouts, walks, a start), as of the morning of the game. Each rate
-- is shrunk toward the previous season's league average as if he had {{ prior }} more
-- average starts, so a pitcher with few starts reads near average rather than at his
-- extremes (a first start reads as the average); null in the first season loaded, which has
-- no league average before it.
-- A table rebuilt whole (a window over each pitcher's starts, a few rows a game):
-- two rows a game over every loaded season.
with starts as (
    select
        *,
        13 * home_runs_allowed + 3 * walks_allowed - 2 * strikeouts as fip_points
    from {{ ref('int_starts') }}
),

league as (  -- the previous season's average a club game: the prior of this season's starts
    select
        season + 1 as season,
        {%- for column in measures %}
        avg({{ column }} * 1.0) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from starts
    group by season
),

rolled as (
    select
        s.game_pk,
        s.team_id,
        s.game_date,
        s.season,
        s.starter_key,
        {%- for column in measures %}
        sum(s.{{ column }}) over previous as {{ column }}_sum,
        {%- endfor %}
        count(s.runs_allowed) over previous as starts,  -- finished starts: an announced one has no outcome
        max(case when s.runs_allowed is not null then s.game_date end) over previous as last_game_date_used
    from starts as s
    window previous as (
        partition by s.starter_key order by s.game_date, s.game_number, s.game_pk
        rows between {{ starts }} preceding and 1 preceding
    )
)

select
    r.game_pk,
    r.team_id,
    r.game_date,
    r.starter_key,
    r.starts as starts_{{ starts }}s,
    {%- for column in measures %}
    (coalesce(r.{{ column }}_sum, 0) + {{ prior }} * l.{{ column }}) / (r.starts + {{ prior }})
        as {{ column }}_{{ starts }}s,
    {%- endfor %}
    r.last_game_date_used
from rolled as r
left join league as l on l.season = r.season
