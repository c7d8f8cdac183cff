{%- set team_features = ['games_7d', 'run_diff_7d', 'win_rate_7d', 'games_14d', 'run_diff_14d', 'win_rate_14d',
                         'games_30d', 'run_diff_30d', 'win_rate_30d', 'batting_avg_30d', 'obp_30d', 'slg_30d',
                         'bullpen_era_30d', 'games_60d', 'run_diff_60d', 'win_rate_60d', 'season_games',
                         'season_wins', 'season_win_pct',
                         'pythagorean_win_pct', 'rest_days', 'strength_win_pct',
                         'strength_run_diff_per_game', 'relievers_used_3d', 'park_run_factor_3y',
                         'home_field_edge_3y'] -%}
{%- set pitcher_features = ['era_10g', 'whip_10g', 'strikeout_rate_10g', 'era_30g', 'whip_30g',
                            'strikeout_rate_30g'] -%}
{%- set starter_form = ['starts_30s', 'runs_allowed_30s', 'fip_points_30s', 'strikeouts_30s', 'walks_allowed_30s'] -%}
{{ config(
    materialized='incremental',
    incremental_strategy=feature_table_strategy(),
    unique_key='game_date',
    partition_by=feature_partition('game_date'),
    cluster_by=feature_clustering(['home_team_id', 'away_team_id']),
    on_schema_change='fail',
) }}
-- One row per game, home against away: both clubs' rolling features as of the morning of
-- the game, the starting pitchers' recent form, rest days, opponent-adjusted strength,
-- home field, day of week, month and game type; the weather and roof of a played game; the
-- outcome when the game is final.
-- Scheduled games get a row too (no outcome, no starters yet), so they can be predicted.
with games as (
    select * from {{ ref('int_games') }} as g
    where (is_final or status_code not in ('D', 'T', 'U'))  -- played, or still to be played
        and {{ in_feature_window('g.game_date', 'game_date') }}
),

travel as (  -- where each club played its game before this one: a different park is a trip
    select
        game_pk,
        team_id,
        park_team_id <> lag(park_team_id) over (
            partition by team_id order by game_date, game_number, game_pk
        ) as travelled
    from (
        {%- for side in ['home', 'away'] %}
        select game_pk, game_date, game_number, {{ side }}_team_id as team_id, home_team_id as park_team_id
        from {{ ref('int_games') }}
        where is_final or status_code not in ('D', 'T', 'U')
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as club_games
),

starters as (
    select s.game_pk, s.team_id, s.pitcher_id, f.*
    from {{ ref('int_starting_pitchers') }} as s
    left join {{ ref('player_rolling_features') }} as f
        on f.player_id = s.pitcher_id and f.as_of_date = s.game_date
)

select
    g.game_pk,
    g.game_date,
    g.season,
    g.game_type,
    g.home_team_id,
    g.away_team_id,
    g.is_doubleheader,
    g.game_number,
    {{ iso_day_of_week('g.game_date') }} as day_of_week,
    extract(month from g.game_date) as month,
    1 as home_field,
    {%- for f in team_features %}
    h.{{ f }} as home_{{ f }},
    a.{{ f }} as away_{{ f }},
    {%- endfor %}
    hs.pitcher_id as home_starter_id,
    aws.pitcher_id as away_starter_id,
    {%- for f in pitcher_features %}
    hs.{{ f }} as home_starter_{{ f }},
    aws.{{ f }} as away_starter_{{ f }},
    {%- endfor %}
    -- The starters' form from what their clubs allowed in their last starts (starter_form):
    -- for Retrosheet's seasons too, whose game logs name the starters but not their lines.
    {%- for f in starter_form %}
    hf.{{ f }} as home_starter_{{ f }},
    af.{{ f }} as away_starter_{{ f }},
    {%- endfor %}
    {%- for f in starter_form[1:] %}
    hf.{{ f }} - af.{{ f }} as starter_{{ f | replace('_30s', '') }}_edge,
    {%- endfor %}
    -- Opponent-adjusted strength: each club's run differential a game over the last 30
    -- days, the home club's less the away club's; and the same for season Pythagorean.
    h.run_diff_30d * 1.0 / nullif(h.games_30d, 0) - a.run_diff_30d * 1.0 / nullif(a.games_30d, 0)
        as run_diff_per_game_30d_edge,
    h.pythagorean_win_pct - a.pythagorean_win_pct as pythagorean_edge,
    -- Travel: the club played its previous game in another park (null: its first game loaded).
    -- Where a game is played is known from the schedule, so a doubleheader's second game may read
    -- the first's park.
    cast(htr.travelled as integer) as home_travelled,
    cast(atr.travelled as integer) as away_travelled,
    h.strength_win_pct - a.strength_win_pct as strength_win_pct_edge,
    h.strength_run_diff_per_game - a.strength_run_diff_per_game as strength_run_diff_edge,
    -- Conditions at first pitch (stg_game_conditions): known once the game is played, so NULL
    -- for a game not yet final (the next day's games are predicted before they are played);
    -- the trained model sees them only for played games. NULL, never 0, when unknown.
    case when g.is_final then c.temperature end as temperature,
    case when g.is_final then cast(c.wind_blowing = 'out' as integer) end as wind_blowing_out,
    case when g.is_final then cast(c.wind_blowing = 'in' as integer) end as wind_blowing_in,
    case when g.is_final then cast(c.is_roof_closed as integer) end as roof_closed,
    -- the newest game any feature of the row reads: both clubs', both starters' (both measures)
    {{ latest_date(['h.last_game_date_used', 'a.last_game_date_used', 'hs.last_game_date_used',
                    'aws.last_game_date_used', 'hf.last_game_date_used', 'af.last_game_date_used']) }}
        as last_game_date_used,
    g.is_final,
    case when g.is_final then g.home_score > g.away_score end as home_win,
    case when g.is_final then g.home_score - g.away_score end as home_margin
from games as g
left join {{ ref('team_rolling_features') }} as h on h.team_id = g.home_team_id and h.as_of_date = g.game_date
left join {{ ref('team_rolling_features') }} as a on a.team_id = g.away_team_id and a.as_of_date = g.game_date
left join starters as hs on hs.game_pk = g.game_pk and hs.team_id = g.home_team_id
left join starters as aws on aws.game_pk = g.game_pk and aws.team_id = g.away_team_id
left join {{ ref('starter_form') }} as hf on hf.game_pk = g.game_pk and hf.team_id = g.home_team_id
left join {{ ref('starter_form') }} as af on af.game_pk = g.game_pk and af.team_id = g.away_team_id
left join travel as htr on htr.game_pk = g.game_pk and htr.team_id = g.home_team_id
left join travel as atr on atr.game_pk = g.game_pk and atr.team_id = g.away_team_id
left join {{ ref('stg_game_conditions') }} as c on c.game_pk = g.game_pk
