{# A Retrosheet game's key beside the Stats API's game_pk: negative (the Stats API's are
   positive), from the date, the home club's id and the game number, the same on both backends:
   -((yyyymmdd * 1000 + home_team_id) * 10 + game_number). #}
{% macro retrosheet_game_pk(game_date, home_team_id, game_number) -%}
    -(((extract(year from {{ game_date }}) * 10000 + extract(month from {{ game_date }}) * 100
        + extract(day from {{ game_date }})) * 1000 + {{ home_team_id }}) * 10 + {{ game_number }})
{%- endmacro %}
