"""Every setting in one place, read from the environment (and an optional `.env`).

Operator-facing names are the ones they already use (AWS_*, S3_BUCKET, DATABASE_URL, REDIS_URL,
SECRET_KEY); everything else is `AGENSIUM_*`. The embedded default needs no variable at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # mode
    mode: Literal["embedded", "production"] = Field("embedded", validation_alias=_env("AGENSIUM_MODE"))
    var_dir: Path = Field(Path("var"), validation_alias=_env("AGENSIUM_VAR_DIR"))
    host: str = Field("127.0.0.1", validation_alias=_env("AGENSIUM_HOST"))
    port: int = Field(8000, validation_alias=_env("AGENSIUM_PORT"))
    public_url: str | None = Field(None, validation_alias=_env("AGENSIUM_PUBLIC_URL"))
    cors_origins: list[str] = Field(default_factory=list, validation_alias=_env("AGENSIUM_CORS_ORIGINS"))
    log_level: str = Field("INFO", validation_alias=_env("AGENSIUM_LOG_LEVEL"))

    # security
    secret_key: str = Field(DEFAULT_SECRET_KEY, validation_alias=_env("SECRET_KEY"))
    access_token_minutes: int = Field(60, ge=1, le=24 * 60, validation_alias=_env("AGENSIUM_ACCESS_TOKEN_MINUTES"))
    code_ttl_minutes: int = Field(15, ge=1, le=24 * 60, validation_alias=_env("AGENSIUM_CODE_TTL_MINUTES"))
    code_max_attempts: int = Field(5, ge=1, le=20, validation_alias=_env("AGENSIUM_CODE_MAX_ATTEMPTS"))
    auth_rate_limit_per_minute: int = Field(30, ge=1, validation_alias=_env("AGENSIUM_AUTH_RATE_LIMIT_PER_MINUTE"))

    # database
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"))

    # object storage (S3 API)
    aws_access_key_id: str | None = Field(None, validation_alias=_env("AWS_ACCESS_KEY_ID"))
    aws_secret_access_key: str | None = Field(None, validation_alias=_env("AWS_SECRET_ACCESS_KEY"))
    aws_endpoint_url: str | None = Field(None, validation_alias=_env("AWS_ENDPOINT_URL"))
    aws_region: str = Field("us-east-1", validation_alias=_env("AWS_REGION"))
    s3_bucket: str = Field("agensium", validation_alias=_env("S3_BUCKET"))
    s3_addressing_style: Literal["path", "virtual", "auto"] = Field(
        "path", validation_alias=_env("AGENSIUM_S3_ADDRESSING_STYLE")
    )
    embedded_s3_port: int = Field(8333, validation_alias=_env("AGENSIUM_EMBEDDED_S3_PORT"))
    upload_url_seconds: int = Field(900, ge=60, le=7 * 24 * 3600, validation_alias=_env("AGENSIUM_UPLOAD_URL_SECONDS"))
    download_url_seconds: int = Field(3600, ge=60, le=7 * 24 * 3600, validation_alias=_env("AGENSIUM_DOWNLOAD_URL_SECONDS"))
    multipart_threshold_bytes: int = Field(64 * 1024 * 1024, validation_alias=_env("AGENSIUM_MULTIPART_THRESHOLD_BYTES"))
    multipart_part_bytes: int = Field(16 * 1024 * 1024, validation_alias=_env("AGENSIUM_MULTIPART_PART_BYTES"))

    # queue
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"))
    broker_url: str | None = Field(None, validation_alias=_env("AGENSIUM_BROKER_URL"))
    embedded_worker: bool = Field(True, validation_alias=_env("AGENSIUM_EMBEDDED_WORKER"))
    task_time_limit_seconds: int = Field(1800, ge=10, validation_alias=_env("AGENSIUM_TASK_TIME_LIMIT_SECONDS"))
    heartbeat_seconds: int = Field(15, ge=1, validation_alias=_env("AGENSIUM_HEARTBEAT_SECONDS"))
    heartbeat_timeout_seconds: int = Field(120, ge=5, validation_alias=_env("AGENSIUM_HEARTBEAT_TIMEOUT_SECONDS"))
    queue_name: str = Field("agensium", min_length=1, validation_alias=_env("AGENSIUM_QUEUE_NAME"))

    # lifecycle and retention
    upload_expiry_minutes: int = Field(15, ge=1, validation_alias=_env("AGENSIUM_UPLOAD_EXPIRY_MINUTES"))
    input_retention_days: int = Field(7, ge=0, validation_alias=_env("AGENSIUM_INPUT_RETENTION_DAYS"))
    output_retention_days: int = Field(30, ge=0, validation_alias=_env("AGENSIUM_OUTPUT_RETENTION_DAYS"))
    periodic_interval_seconds: int = Field(60, ge=1, validation_alias=_env("AGENSIUM_PERIODIC_INTERVAL_SECONDS"))
    max_parameters_bytes: int = Field(256 * 1024, ge=1024, validation_alias=_env("AGENSIUM_MAX_PARAMETERS_BYTES"))

    # billing
    signup_credits: int = Field(5000, ge=0, validation_alias=_env("AGENSIUM_SIGNUP_CREDITS"))

    # mail
    mail_backend: Literal["outbox", "smtp"] = Field("outbox", validation_alias=_env("AGENSIUM_MAIL_BACKEND"))
    mail_from: str = Field("Agensium <no-reply@agensium.local>", validation_alias=_env("AGENSIUM_MAIL_FROM"))
    smtp_host: str | None = Field(None, validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(587, validation_alias=_env("SMTP_PORT"))
    smtp_username: str | None = Field(None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: str | None = Field(None, validation_alias=_env("SMTP_PASSWORD"))
    smtp_starttls: bool = Field(True, validation_alias=_env("SMTP_STARTTLS"))

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> Settings:
        if self.mode == "production" and (self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32):
            raise ValueError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production mode"
            )
        return self

    # derived values -------------------------------------------------------
    @property
    def embedded(self) -> bool:
        return self.mode == "embedded"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'agensium.db').resolve()}"

    @property
    def effective_broker_url(self) -> str:
        if self.broker_url:
            return self.broker_url
        if self.redis_url:
            return self.redis_url
        return f"sqla+sqlite:///{(self.var_dir / 'broker.db').resolve()}"

    @property
    def uses_embedded_s3(self) -> bool:
        return self.aws_endpoint_url is None and self.embedded

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
