"""Where `agensium login` keeps the server URL and access token, and how commands find them again.

The file is `$XDG_CONFIG_HOME/agensium/credentials.json` (`~/.config/...` when unset), written atomically
with mode 0600 in a 0700 folder. AGENSIUM_URL and AGENSIUM_TOKEN override it. A stored token is only
sent to the URL it was issued by: pointing AGENSIUM_URL elsewhere never leaks it to another server.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agensium.client.errors import ApiError
from agensium.errors import ErrorCode

DEFAULT_URL = "http://127.0.0.1:8000"


class Credentials(BaseModel):
    url: str
    token: str
    email: str | None = None
    expires_at: datetime | None = None


def path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"  # the spec ignores relative paths
    return root / "agensium" / "credentials.json"


def normalise(url: str) -> str:
    return url.strip().rstrip("/")


def load() -> Credentials | None:
    file = path()
    try:
        return Credentials.model_validate_json(file.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as exc:
        raise ApiError(None, ErrorCode.VALIDATION_ERROR.value,
                       f"{file} is unreadable ({type(exc).__name__}); run `agensium login` again",
                       {"path": str(file)}) from exc


def save(creds: Credentials) -> Path:
    """Write the file with mode 0600 from the first byte (never readable by others, even briefly)."""
    file = path()
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an umask cannot widen it, a stale temporary file is narrowed
        os.write(fd, creds.model_dump_json(indent=2).encode())
    finally:
        os.close(fd)
    os.replace(tmp, file)
    return file


def remove() -> bool:
    file = path()
    existed = file.exists()
    file.unlink(missing_ok=True)
    return existed


def resolve(url: str | None = None) -> tuple[str, str | None]:
    """(base URL, token): an explicit URL, else AGENSIUM_URL, else the stored one, else the local default;
    the token from AGENSIUM_TOKEN, else the stored token if it belongs to that URL."""
    stored = load()
    base = normalise(url or os.environ.get("AGENSIUM_URL") or (stored.url if stored else DEFAULT_URL))
    token = os.environ.get("AGENSIUM_TOKEN") or None
    if token is None and stored is not None and normalise(stored.url) == base:
        token = stored.token
    return base, token
