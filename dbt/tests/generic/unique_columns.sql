{# No two rows share these columns' values (as dbt_utils' unique_combination_of_columns,
   without a package download). #}
{% test unique_columns(model, columns) %}
select {{ columns | join(', ') }}
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
