"""The Python client of the Agensium API: `Client`, its typed answers, and `ApiError`.

    from agensium.client import Client, ApiError

Errors: every failure (an API answer, a storage refusal, no answer at all, a local file that is missing)
is raised as `ApiError`, a subclass of `agensium.errors.AgensiumError`, with `status` (HTTP status or
None), `error_code` (the server's code, e.g. "TASK_NOT_FOUND"), `detail` and `context`.
"""

from agensium.client.api import Client
from agensium.client.errors import ApiError
from agensium.client.models import (
    SETTLED,
    DeleteResult,
    Download,
    Estimate,
    EstimateLine,
    LedgerEntry,
    Task,
    Token,
    User,
    Wallet,
)
from agensium.client.transfer import Retry

__all__ = ["SETTLED", "ApiError", "Client", "DeleteResult", "Download", "Estimate", "EstimateLine", "LedgerEntry",
           "Retry", "Task", "Token", "User", "Wallet"]
