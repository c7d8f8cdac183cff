-- One row per game and side: the starting pitcher (first in the box score's pitching
-- order) and his line. Final games of promoted game days only.
select
    p.game_pk,
    t.game_date,
    t.season,
    p.team_id,
    t.opponent_id,
    p.player_id as pitcher_id,
    p.outs,
    p.batters_faced,
    p.hits,
    p.earned_runs,
    p.base_on_balls,
    p.strike_outs,
    p.home_runs,
    p.number_of_pitches
from {{ ref('stg_pitching_lines') }} as p
inner join {{ ref('int_team_games') }} as t
    on t.game_pk = p.game_pk and t.team_id = p.team_id
where p.pitching_order = 1
