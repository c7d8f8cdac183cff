-- The latest grading of each game day: its batch grade and whether it was promoted (only
-- promoted days feed the features).
select
    game_date,
    phase,
    batch_grade,
    promoted,
    graded_at
from {{ source('ops', 'quality_grades') }}
qualify row_number() over (partition by game_date order by graded_at desc, table_name) = 1
