from __future__ import annotations

import pytest

from intentseg.config import Settings, example_config, load_settings
from intentseg.errors import ConfigError


def test_example_config_loads_and_states_the_defaults(tmp_path):
    path = tmp_path / "intentseg.toml"
    path.write_text(example_config())
    from_file = load_settings(path, environ={})
    defaults = Settings()
    assert from_file.ingest == defaults.ingest
    assert from_file.features == defaults.features
    assert from_file.segment == defaults.segment
    assert from_file.output == defaults.output
    assert from_file.warehouse == defaults.warehouse


def test_flag_beats_environment_beats_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('warehouse = "duckdb:///file.duckdb"\n[segment]\nk = 4\nn_init = 3\n')
    env = {"INTENTSEG_WAREHOUSE": "duckdb:///env.duckdb", "INTENTSEG_SEGMENT__K": "6"}
    s = load_settings(path, environ=env)
    assert s.warehouse == "duckdb:///env.duckdb" and s.segment.k == 6 and s.segment.n_init == 3
    s = load_settings(path, overrides={"warehouse": "duckdb:///flag.duckdb"}, environ=env)
    assert s.warehouse == "duckdb:///flag.duckdb"


def test_unknown_key_names_the_key_and_what_is_allowed(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[segment]\nkk = 4\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert "segment.kk" in err.value.message and "n_init" in err.value.message


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ('[segment]\nk = 1\n', "segment.k = 1"),
        ('[segment]\nscaling = "minmax"\n', "'minmax'"),
        ('[features]\nsession_gap_minutes = 0\n', "session_gap_minutes = 0"),
        ('[sources.clicks]\ntable = "x"\n', "clicks"),
        ('[sources.clickstream.columns]\nuserid = "visitor"\n', "userid"),
    ],
)
def test_bad_values_name_key_value_and_rule(tmp_path, toml, needle):
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={}).mappings()
    assert needle in str(err.value)


def test_missing_and_broken_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[segment\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, environ={})


def test_column_mapping_from_config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[sources.clickstream]\ntable = "clicks"\n[sources.clickstream.columns]\nuser_id = "visitor_id"\n')
    m = load_settings(path, environ={}).mapping("clickstream")
    assert m.table == "clicks" and m.physical("user_id") == "visitor_id" and m.physical("url") == "url"


@pytest.mark.parametrize("k", [1, 21, 40, "0", "abc", 2.5, True])
def test_k_outside_the_one_range_fails_with_the_range(k):
    with pytest.raises(ConfigError) as err:
        load_settings(overrides={"segment": {"k": k}}, environ={})
    assert "segment.k" in err.value.message and "from 2 to 20" in err.value.message
    assert err.value.exit_code == 2


@pytest.mark.parametrize("k", [2, 20, "7", "auto"])
def test_k_inside_the_range_from_flags_and_environment(k):
    expected = int(k) if k != "auto" else "auto"
    assert load_settings(overrides={"segment": {"k": k}}, environ={}).segment.k == expected
    assert load_settings(environ={"INTENTSEG_SEGMENT__K": str(k)}).segment.k == expected


def test_k_range_uses_the_same_bounds():
    assert load_settings(overrides={"segment": {"k_range": [2, 20]}}, environ={}).segment.k_range == (2, 20)
    with pytest.raises(ConfigError, match="2 <= low <= high <= 20"):
        load_settings(overrides={"segment": {"k_range": [2, 21]}}, environ={})


def test_with_overrides_returns_a_validated_copy_and_leaves_the_original_alone():
    from intentseg.config import with_overrides

    original = Settings()
    changed = with_overrides(original, {"segment": {"k": 5, "k_range": None}, "warehouse": None})
    assert changed.segment.k == 5 and changed.segment.k_range == original.segment.k_range
    assert original.segment.k == "auto" and changed.segment is not original.segment
    with pytest.raises(ConfigError, match="from 2 to 20"):
        with_overrides(original, {"segment": {"k": 40}})
    assert original.segment.k == "auto"


def test_the_example_config_states_the_one_k_range():
    from intentseg.config import K_MAX, K_MIN

    assert f"{K_MIN}..{K_MAX}" in example_config()


@pytest.mark.parametrize("section, key", [("output", "user_segments"), ("output", "segment_runs"),
                                          ("features", "output_table")])
@pytest.mark.parametrize("name", ["", "t" * 64])
def test_output_table_names_must_be_1_to_63_characters(section, key, name):
    with pytest.raises(ConfigError, match=f"{section}.{key}") as err:
        load_settings(overrides={section: {key: name}}, environ={})
    assert err.value.exit_code == 2
