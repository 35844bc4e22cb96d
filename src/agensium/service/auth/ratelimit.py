"""An in-process token bucket per (client IP, route), for the auth endpoints.

Per process is enough to stop online guessing from one address; each API replica limits on its own.
"""

from __future__ import annotations

import math
import threading
import time

from fastapi import Request

from agensium.errors import AgensiumError, ErrorCode


class TokenBucketLimiter:
    def __init__(self, per_minute: int, burst: int | None = None, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst or per_minute)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Take one token; returns 0 when allowed, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.max_keys:
                    self._buckets.clear()  # crude but bounded memory
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce(request: Request) -> None:
    """FastAPI dependency: 429 RATE_LIMITED when this IP calls this route too often."""
    limiter: TokenBucketLimiter = request.app.state.auth_limiter
    wait = limiter.hit(f"{client_ip(request)}|{request.url.path}")
    if wait > 0:
        raise AgensiumError(ErrorCode.RATE_LIMITED, "Too many requests; try again later",
                            {"retry_after_seconds": math.ceil(wait)})
