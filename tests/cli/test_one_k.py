"""One k: the same name and range (config.K_MIN..K_MAX) for settings, flags and the API; settings and models
given to ``pipeline.run`` are never changed by it (issue 11, item 3)."""

from __future__ import annotations

import copy
import re

import pytest

from intentseg import pipeline
from intentseg.config import K_MAX, K_MIN, K_RULE, Settings
from intentseg.errors import ConfigError
from tests.pipeline.conftest import load_events


@pytest.fixture
def duck_url(tmp_path, small_events) -> str:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    load_events(url, small_events)
    return url


def test_run_leaves_the_callers_settings_and_model_unchanged(duck_url):
    settings = Settings(warehouse=duck_url)
    before = settings.model_dump()
    fitted = pipeline.run(settings=settings, k=3, previous=False)
    assert fitted.k == 3 and settings.model_dump() == before and settings.segment.k == "auto"

    # assign with a model object: the run re-counts sizes on its own copy
    model = fitted.model
    sizes = copy.deepcopy(model.profiles_)
    renamed = Settings(warehouse=duck_url, segment={"names": {"0": "Renamed"}})
    pipeline.assign(settings=renamed, model=model)
    assert model.profiles_ == sizes and "Renamed" not in model.segment_names_


@pytest.mark.parametrize("k", [K_MIN - 1, K_MAX + 1, 40, "many"])
def test_run_refuses_k_outside_the_range_before_any_work(tmp_path, k):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with pytest.raises(ConfigError, match=f"from {K_MIN} to {K_MAX}") as err:
        pipeline.run(url, k=k)
    assert err.value.exit_code == 2
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("command", ["run", "segment"])
def test_help_states_the_one_range(cli, command):
    done = cli(command, "--help")
    assert done.code == 0
    words = " ".join(re.sub(r"[│╭╮╰╯─]", " ", done.stdout).split())  # help is boxed and wrapped
    assert " ".join(K_RULE.split()) in words
