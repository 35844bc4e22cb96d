"""The delivery rules of the Celery configuration (DESIGN §5), for each broker kind."""

from __future__ import annotations

import os
import ssl
from unittest import mock

from agensium.service.queue.celery_app import PERIODIC_TASKS, celery_config, hard_time_limit
from agensium.service.queue.embedded import settings_env
from agensium.settings import Settings


def test_delivery_rules_and_redis_visibility_above_the_hard_limit() -> None:
    s = Settings(redis_url="redis://127.0.0.1:6379/3", task_time_limit_seconds=600, queue_name="jobs")
    c = celery_config(s)
    assert c["task_acks_late"] and c["task_reject_on_worker_lost"] and c["worker_prefetch_multiplier"] == 1
    assert c["result_backend"] is None and c["task_ignore_result"]
    assert c["task_soft_time_limit"] == 600 < c["task_time_limit"] == hard_time_limit(s)
    assert c["broker_transport_options"]["visibility_timeout"] > c["task_time_limit"]
    assert c["broker_transport_options"]["global_keyprefix"] == "jobs:"
    assert c["task_default_queue"] == "jobs"
    assert {e["task"] for e in c["beat_schedule"].values()} == set(PERIODIC_TASKS)
    assert "broker_use_ssl" not in c
    tls = celery_config(Settings(redis_url="rediss://cache.example:6380/0"))
    assert tls["broker_use_ssl"] == {"ssl_cert_reqs": ssl.CERT_REQUIRED}


def test_embedded_default_uses_the_sqlite_broker(tmp_path) -> None:
    c = celery_config(Settings(var_dir=tmp_path, periodic_interval_seconds=7))
    assert c["broker_url"] == f"sqla+sqlite:///{(tmp_path / 'broker.db').resolve()}"
    assert all(e["schedule"] == 7.0 for e in c["beat_schedule"].values())


def test_settings_round_trip_through_the_environment(tmp_path) -> None:
    s = Settings(var_dir=tmp_path, queue_name="q1", cors_origins=["http://a", "http://b"], heartbeat_seconds=3,
                 database_url="sqlite:///x.db", embedded_worker=False)
    with mock.patch.dict(os.environ, settings_env(s), clear=True):
        again = Settings(_env_file=None)
    assert again.model_dump() == s.model_dump() | {"var_dir": tmp_path.resolve()}
