"""[deliver] settings: each destination type names what it needs; names are safe; env overrides work."""

from __future__ import annotations

import pytest

from intentseg.activate.destinations import signature
from intentseg.activate.queue import backoff_s
from intentseg.config import DestinationSettings, load_settings
from intentseg.errors import ConfigError


@pytest.mark.parametrize("kind, needed", [("webhook", "secret_env"), ("rabbitmq", "queue"), ("redis", "stream"),
                                          ("nats", "subject")])
def test_a_destination_without_what_its_type_needs_is_refused(tmp_path, kind, needed):
    path = tmp_path / "intentseg.toml"
    path.write_text(f'[deliver.destinations.x]\ntype = "{kind}"\nurl = "x://127.0.0.1"\n')
    with pytest.raises(ConfigError, match=f"a {kind} destination needs {needed}"):
        load_settings(path, environ={})


def test_destination_names_and_environment_overrides(tmp_path):
    path = tmp_path / "intentseg.toml"
    path.write_text('[deliver.destinations."a b"]\ntype = "redis"\nurl = "redis://h"\nstream = "s"\n')
    with pytest.raises(ConfigError, match="letters, digits"):
        load_settings(path, environ={})
    env = {"INTENTSEG_DELIVER__DESTINATIONS__crm__TYPE": "redis", "INTENTSEG_DELIVER__DESTINATIONS__crm__URL": "redis://h",
           "INTENTSEG_DELIVER__DESTINATIONS__crm__STREAM": "events", "INTENTSEG_DELIVER__BATCH_SIZE": "7"}
    settings = load_settings(None, environ=env)
    assert settings.deliver.batch_size == 7 and settings.deliver.destinations["crm"].stream == "events"


def test_backoff_doubles_with_jitter_up_to_its_cap_and_honours_retry_after():
    s = DestinationSettings(type="redis", url="redis://h", stream="s", backoff_s=2, backoff_max_s=30)
    for tries, base in ((1, 2), (2, 4), (3, 8), (4, 16), (5, 30), (9, 30)):
        waits = [backoff_s(tries, s) for _ in range(200)]
        assert base * 0.5 <= min(waits) and max(waits) <= base and max(waits) - min(waits) > 0
    assert backoff_s(1, s, retry_after_s=120) == 120


def test_the_signature_is_the_hex_hmac_sha256_of_the_body():
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_following_rides_out_an_unreachable_warehouse_and_without_follow_it_fails(receiver, monkeypatch):
    from intentseg.activate.deliver import deliver
    from intentseg.errors import WarehouseUnavailable
    from tests.activate.conftest import with_destination

    monkeypatch.setenv("HOOK_SECRET", "x")
    settings = with_destination("mysql+pymysql://root@127.0.0.1:1/nowhere", "crm", type="webhook", url=receiver.url,
                                secret_env="HOOK_SECRET")
    settings.deliver.poll_s = 0.01
    seen: list = []
    report = deliver(settings, follow=True, progress=lambda r: seen.append(r.waiting), should_stop=lambda: len(seen) >= 2)
    assert report.passes == 2 and all(w and "127.0.0.1:1" in w for w in seen) and receiver.requests == []
    with pytest.raises(WarehouseUnavailable):
        deliver(settings)


@pytest.mark.parametrize("kind, module, extra", [("rabbitmq", "pika", {"queue": "q"}), ("redis", "redis", {"stream": "s"}),
                                                 ("nats", "nats", {"subject": "s"})])
def test_a_missing_client_names_the_install(monkeypatch, kind, module, extra):
    import sys

    from intentseg.activate.destinations import open_destination
    from intentseg.errors import DestinationClientMissing

    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(DestinationClientMissing) as err:
        open_destination("x", DestinationSettings(type=kind, url="x://127.0.0.1", **extra))
    assert err.value.hint == 'pip install "intentseg[deliver]"' and err.value.exit_code == 2
