"""Fixtures shared by every test directory: a real SeaweedFS per test session, service checks.

Several test sessions run in parallel on one machine, so every port is chosen free at runtime and
every database / bucket name is random.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

sys.path.insert(0, str(Path(__file__).parent))  # test-data generators: `from datagen.twins import make_twins`


def missing_service(what: str) -> None:
    """With CI=true a missing PostgreSQL/MariaDB/Redis is a failure; locally it is a skip."""
    if IN_CI:
        pytest.fail(f"{what} is not available (CI=true requires it)")
    pytest.skip(f"{what} is not available")


def random_name(prefix: str = "agensium_t_") -> str:
    return f"{prefix}{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real SeaweedFS (`weed mini`) on free ports, with signature-checked credentials."""
    from agensium.service.seaweed import EmbeddedS3

    server = EmbeddedS3(tmp_path_factory.mktemp("seaweed"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
