{% macro intentseg_timestamp(value) -%}
{#- A dbt variable's time as a SQL timestamp (naive UTC, as intentseg stores events); NULL when unset. -#}
{%- if value is none or value | string | trim == "" -%}
CAST(NULL AS TIMESTAMP)
{%- else -%}
CAST('{{ value | string | trim | replace("'", "''") }}' AS TIMESTAMP)
{%- endif -%}
{%- endmacro %}


{% macro intentseg_require_adapter(adapter_type) -%}
{#- The SQL of this package is written for one engine: stop with the fix on any other. -#}
{%- if target.type != adapter_type -%}
{{ exceptions.raise_compiler_error(
    "This intentseg package was generated for " ~ adapter_type ~ ", but the dbt target is " ~ target.type
    ~ ". Regenerate it for the target: intentseg dbt --dialect " ~ target.type ~ " (duckdb or postgres).") }}
{%- endif -%}
{%- endmacro %}
