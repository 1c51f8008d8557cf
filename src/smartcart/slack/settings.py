"""Configuration of the bot, read from the environment (and an optional `.env` file).

Every setting is an environment variable of the same name. A wrong value fails at start with
one line naming the setting (`load_settings` turns pydantic's report into a `SettingsError`).
Secrets (`SLACK_BOT_TOKEN`, `SLACK_SIGNING_SECRET`, `SLACK_APP_TOKEN`) are `SecretStr`: they never
show in a repr or a log line; call `.get_secret_value()` where the real value is needed.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from smartcart.engine.data import DataSource

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
SECRET_SETTINGS = frozenset({"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"})

CommaSeparated = Annotated[list[str], NoDecode]


class SettingsError(Exception):
    """A missing or wrong setting; the message is one line that names it."""


def default_database_url() -> str:
    """SQLite file `var/smartcart.db` under the current directory, as an absolute URL."""
    return f"sqlite:///{Path.cwd() / 'var' / 'smartcart.db'}"


def default_health_file() -> Path:
    """Where `serve` and `scheduler` write their liveness file: the temporary folder."""
    return Path(tempfile.gettempdir()) / "smartcart-health.json"


def absolute_path(value: Path) -> Path:
    """A path made absolute against the current directory (`~` expanded)."""
    path = value.expanduser()
    return path if path.is_absolute() else Path.cwd() / path


def validate_crontab(expression: str) -> str:
    """The crontab expression unchanged, if APScheduler's CronTrigger accepts it."""
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as error:
        raise ValueError(f"{expression!r} is not a valid crontab expression ({error})") from None
    return expression


def split_comma_separated(value: Any) -> list[str]:
    """`"C1, C2,,C3"` -> `["C1", "C2", "C3"]`; a list is cleaned the same way."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


class Settings(BaseSettings):
    """All settings of the bot; field names are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        use_attribute_docstrings=True,  # each setting's docstring: .env.example and the docs
    )

    SLACK_BOT_TOKEN: SecretStr | None = None
    """The bot's token (`xoxb-...`): needed by `serve`, the digest and the scheduler."""
    SLACK_SIGNING_SECRET: SecretStr | None = None
    """The Slack app's signing secret: proves that HTTP requests come from Slack."""
    SLACK_APP_TOKEN: SecretStr | None = None
    """An app-level token (`xapp-...`): the bot then connects through Socket Mode instead of HTTP."""
    SLACK_API_URL: str = DEFAULT_SLACK_API_URL
    """Base URL of Slack's Web API (tests point it at a local stand-in)."""

    SMARTCART_DATABASE_URL: str = Field(default_factory=default_database_url)
    """SQLAlchemy URL of the store (SQLite or PostgreSQL)."""
    SMARTCART_MODEL_DIR: Path = Path("var/models")
    """Where model versions, their reports and charts are kept."""
    SMARTCART_DATA: str | None = None
    """Customer file or URL used when `--data` is not given (also the digest's and retraining's data)."""
    SMARTCART_MAPPING: Path | None = None
    """Mapping file (TOML) from your columns to the data contract, used when `--mapping` is not given."""
    SMARTCART_TEMPLATES: Path | None = None
    """A folder of your own templates; files missing there fall back to the built-in ones."""
    # Contact details for exports (file or SQLAlchemy URL, table `contacts`): Slack users cannot
    # pass a file, so `/segment export` joins these; phones without a country code are read as
    # numbers of SMARTCART_DEFAULT_COUNTRY.
    SMARTCART_CONTACTS: str | None = None
    """Contact details joined to exports: CSV, Parquet or an SQLAlchemy URL with a `contacts` table."""
    SMARTCART_DEFAULT_COUNTRY: str | None = None
    """Country of phone numbers written without a country code (`US`, `GB`, ...); unset drops them."""

    SMARTCART_DIGEST_CHANNEL: str | None = None
    """Channel id (`C...`) that gets the weekly digest."""
    SMARTCART_DIGEST_CRON: str = "0 9 * * mon"
    """When the digest is posted (crontab, in SMARTCART_TIMEZONE)."""
    SMARTCART_TIMEZONE: str = "UTC"
    """Time zone of the crontab settings (an IANA name such as `Europe/Berlin`)."""
    SMARTCART_RETRAIN_CRON: str | None = None
    """When to retrain from SMARTCART_DATA (crontab); unset: never on a schedule."""
    # Seconds a scheduler's lease lasts without renewal (renewed every third of it): the longest
    # a dead scheduler's jobs wait before another process takes over (smartcart/slack/lease.py).
    SMARTCART_LEASE_SECONDS: float = Field(default=30.0, gt=0)
    """Seconds the scheduler's lease lasts without renewal: the longest its jobs wait after their process died."""

    SMARTCART_ALLOWED_CHANNELS: CommaSeparated = Field(default_factory=list)
    """Comma-separated channel ids where customer lookups and exports are allowed (`app_home`: the Home tab and export form, `workflow`: the workflow step). Where this or SMARTCART_ALLOWED_USERS is set, the lists decide."""
    SMARTCART_ALLOWED_USERS: CommaSeparated = Field(default_factory=list)
    """Comma-separated user ids allowed to look up customers and export. Where this or SMARTCART_ALLOWED_CHANNELS is set, the lists decide."""
    SMARTCART_CUSTOMER_ACCESS: Literal["allow-list", "everyone"] = "allow-list"
    """Who may see customer-level data in Slack when no allow-list is set: `allow-list` (nobody until one is set) or `everyone` in the workspace. The command line is never limited."""
    SMARTCART_LOOKUP_LIMIT: int = Field(default=60, ge=1)
    """Customer lookups a user may make per minute in Slack (counted in the database, across every worker)."""
    SMARTCART_ADMIN_USERS: CommaSeparated = Field(default_factory=list)
    """Comma-separated user ids who may subscribe channels to the digest from Slack (unset: nobody)."""

    SMARTCART_LOG_FORMAT: Literal["text", "json"] = "text"
    """`text`, or `json` for one JSON object per log line."""
    SMARTCART_HEALTH_FILE: Path = Field(default_factory=default_health_file)
    """The liveness file `serve` and `scheduler` keep fresh and `smartcart health` reads."""
    SMARTCART_METRICS_PORT: int | None = Field(default=None, ge=1, le=65535)
    """Port on which `smartcart scheduler` serves its Prometheus metrics (unset: none; `serve` has /metrics)."""

    @field_validator("SMARTCART_LOG_FORMAT", "SMARTCART_CUSTOMER_ACCESS", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("SMARTCART_METRICS_PORT", mode="before")
    @classmethod
    def _blank_port_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("SMARTCART_HEALTH_FILE")
    @classmethod
    def _health_file_is_absolute(cls, value: Path) -> Path:
        return absolute_path(value)

    @field_validator("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("SLACK_API_URL")
    @classmethod
    def _api_url_is_http(cls, value: str) -> str:
        url = value.strip()
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return url if url.endswith("/") else url + "/"

    @field_validator("SMARTCART_MODEL_DIR")
    @classmethod
    def _model_dir_is_absolute(cls, value: Path) -> Path:
        return absolute_path(value)

    @field_validator("SMARTCART_DATA", "SMARTCART_DIGEST_CHANNEL", "SMARTCART_RETRAIN_CRON")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @field_validator("SMARTCART_CONTACTS")
    @classmethod
    def _contacts_exist(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from smartcart.engine.data import is_sql_url

        source = value.strip()
        if is_sql_url(source):
            return source
        path = absolute_path(Path(source))
        if not path.is_file():
            raise ValueError(f"{str(path)!r} is not a file")
        return str(path)

    @field_validator("SMARTCART_DEFAULT_COUNTRY")
    @classmethod
    def _country_is_known(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from smartcart.engine.marketing import check_country

        return check_country(value.strip())

    @field_validator("SMARTCART_MAPPING")
    @classmethod
    def _mapping_is_readable(cls, value: Path | None) -> Path | None:
        if value is None or str(value).strip() in ("", "."):
            return None
        from smartcart.engine import DataError
        from smartcart.engine.data import read_mapping

        path = absolute_path(value)
        try:
            read_mapping(path)
        except DataError as error:
            raise ValueError(str(error)) from None
        return path

    @field_validator("SMARTCART_TEMPLATES")
    @classmethod
    def _templates_is_a_folder(cls, value: Path | None) -> Path | None:
        if value is None or str(value).strip() in ("", "."):
            return None
        path = absolute_path(value)
        if not path.is_dir():
            raise ValueError(f"{str(path)!r} is not a folder")
        return path

    @field_validator("SMARTCART_DIGEST_CRON")
    @classmethod
    def _digest_cron_is_valid(cls, value: str) -> str:
        return validate_crontab(value.strip())

    @field_validator("SMARTCART_RETRAIN_CRON", mode="after")
    @classmethod
    def _retrain_cron_is_valid(cls, value: str | None) -> str | None:
        return validate_crontab(value) if value is not None else None

    @field_validator("SMARTCART_TIMEZONE")
    @classmethod
    def _timezone_is_known(cls, value: str) -> str:
        name = value.strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone") from None
        return name

    @field_validator(
        "SMARTCART_ALLOWED_CHANNELS",
        "SMARTCART_ALLOWED_USERS",
        "SMARTCART_ADMIN_USERS",
        mode="before",
    )
    @classmethod
    def _split_lists(cls, value: Any) -> list[str]:
        return split_comma_separated(value)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.SMARTCART_TIMEZONE)

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: the bot then connects through Socket Mode."""
        return self.SLACK_APP_TOKEN is not None

    def data_source(self) -> DataSource | None:
        """SMARTCART_DATA read through SMARTCART_MAPPING (a `DataSource`), or None."""
        from smartcart.engine.data import DataSource

        if self.SMARTCART_DATA is None:
            return None
        return DataSource(self.SMARTCART_DATA, mapping=self.SMARTCART_MAPPING)

    def require_slack_http(self) -> None:
        """Raise SettingsError naming what HTTP mode needs and is missing."""
        require(self, ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"), "to answer Slack over HTTP")

    def require_socket_mode(self) -> None:
        """Raise SettingsError naming what Socket Mode needs and is missing."""
        require(self, ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"), "to connect through Socket Mode")

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name in ("SMARTCART_DATABASE_URL", "SMARTCART_CONTACTS") and value:
                value = hide_password(value)
            yield name, value


def hide_password(url: str) -> str:
    """The URL with its password replaced by `***` (for logs and reprs)."""
    return re.sub(r"(://[^:/@\s]+:)[^@/\s]*@", r"\1***@", url)


def require(settings: Settings, names: tuple[str, ...], purpose: str) -> None:
    missing = [name for name in names if getattr(settings, name) is None]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise SettingsError(f"{' and '.join(missing)} {verb} not set: needed {purpose}")


def describe_error(error: dict[str, Any]) -> str:
    """One pydantic error as `NAME: what is wrong` (a secret's value is never quoted)."""
    name = ".".join(str(part) for part in error.get("loc", ())) or "settings"
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    if error.get("type") != "value_error" and name not in SECRET_SETTINGS:
        message = f"{message} (got {error.get('input')!r})"
    return f"{name}: {message}"


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read the settings; any wrong value raises SettingsError with one line naming it."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as error:
        lines = [describe_error(item) for item in error.errors(include_url=False)]
        raise SettingsError("; ".join(lines)) from None
