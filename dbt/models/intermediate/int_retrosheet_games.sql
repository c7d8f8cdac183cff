-- The Retrosheet games the features take: those the Stats API does not hold (a season loaded
-- from both sources keeps the Stats API's games: same date, clubs and game number).
select r.*
from {{ ref('stg_retrosheet_games') }} as r
where r.home_team_id is not null
    and r.away_team_id is not null
    and not exists (
        select 1
        from {{ ref('stg_games') }} as g
        where g.game_date = r.game_date
            and g.home_team_id = r.home_team_id
            and g.away_team_id = r.away_team_id
            and g.game_number = r.game_number
    )
