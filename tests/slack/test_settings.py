from __future__ import annotations

import logging
from pathlib import Path

import pytest

from smartcart.slack.settings import SettingsError, load_settings
from tests.conftest import SLACK_ENV

SECRET_TOKEN = "xoxb-1111-secret-token-value"
SECRET_SIGNING = "signing-secret-value-0123456789"
SECRET_APP_TOKEN = "xapp-1-secret-app-token-value"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def one_line_error(env_file: str | None = None) -> str:
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=env_file)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_defaults_are_absolute_and_sensible(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.SLACK_API_URL == "https://slack.com/api/"
    database_url, model_dir = settings.SMARTCART_DATABASE_URL, settings.SMARTCART_MODEL_DIR
    assert database_url == f"sqlite:///{tmp_path}/var/smartcart.db"
    assert model_dir == tmp_path / "var" / "models"
    assert settings.SMARTCART_DIGEST_CRON == "0 9 * * mon"
    assert settings.SMARTCART_TIMEZONE == "UTC"
    assert settings.SMARTCART_ALLOWED_CHANNELS == []
    assert settings.SMARTCART_ALLOWED_USERS == []
    assert settings.SLACK_BOT_TOKEN is None
    assert not settings.socket_mode


def test_missing_signing_secret_is_one_clear_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", SECRET_TOKEN)
    settings = load_settings()
    with pytest.raises(SettingsError) as raised:
        settings.require_slack_http()
    assert str(raised.value) == "SLACK_SIGNING_SECRET is not set: needed to answer Slack over HTTP"


def test_missing_token_and_secret_are_both_named(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_SIGNING_SECRET", "  ")  # blank counts as missing
    with pytest.raises(SettingsError, match="^SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not"):
        load_settings().require_slack_http()


def test_socket_mode_needs_the_app_token_and_bot_token(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_APP_TOKEN", SECRET_APP_TOKEN)
    settings = load_settings()
    assert settings.socket_mode
    with pytest.raises(SettingsError, match="^SLACK_BOT_TOKEN is not set"):
        settings.require_socket_mode()


def test_bad_timezone_is_named(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SMARTCART_TIMEZONE", "Mars/Olympus")
    assert one_line_error() == "SMARTCART_TIMEZONE: 'Mars/Olympus' is not a known time zone"


@pytest.mark.parametrize("name", ["SMARTCART_DIGEST_CRON", "SMARTCART_RETRAIN_CRON"])
def test_bad_cron_is_named(clean_env: pytest.MonkeyPatch, name: str) -> None:
    clean_env.setenv(name, "every monday")
    message = one_line_error()
    assert message.startswith(f"{name}: 'every monday' is not a valid crontab expression")


def test_good_crons_and_timezone_are_kept(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SMARTCART_DIGEST_CRON", "30 8 * * 1-5")
    clean_env.setenv("SMARTCART_RETRAIN_CRON", "0 2 1 * *")
    clean_env.setenv("SMARTCART_TIMEZONE", "Europe/Lisbon")
    settings = load_settings()
    assert settings.SMARTCART_DIGEST_CRON == "30 8 * * 1-5"
    assert settings.SMARTCART_RETRAIN_CRON == "0 2 1 * *"
    assert str(settings.timezone) == "Europe/Lisbon"


def test_several_errors_stay_on_one_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SMARTCART_TIMEZONE", "Nowhere")
    clean_env.setenv("SLACK_API_URL", "slack.example")
    message = one_line_error()
    assert "SMARTCART_TIMEZONE: 'Nowhere'" in message
    assert "SLACK_API_URL: 'slack.example' is not an http(s) URL" in message


def test_api_url_gets_its_trailing_slash(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    assert load_settings().SLACK_API_URL == "http://127.0.0.1:9999/api/"


def test_templates_folder_must_exist(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("SMARTCART_TEMPLATES", "no-such-folder")
    assert one_line_error().startswith("SMARTCART_TEMPLATES: ")
    (tmp_path / "mine").mkdir()
    clean_env.setenv("SMARTCART_TEMPLATES", "mine")
    templates = load_settings().SMARTCART_TEMPLATES
    assert templates == tmp_path / "mine"


def test_allow_lists_are_comma_separated(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SMARTCART_ALLOWED_CHANNELS", "C1, C2,,")
    clean_env.setenv("SMARTCART_ALLOWED_USERS", "")
    settings = load_settings()
    assert settings.SMARTCART_ALLOWED_CHANNELS == ["C1", "C2"]
    assert settings.SMARTCART_ALLOWED_USERS == []


def test_env_file_is_read_and_environment_wins(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("SMARTCART_TIMEZONE=Asia/Tokyo\nSMARTCART_DIGEST_CHANNEL=C9\n")
    clean_env.setenv("SMARTCART_DIGEST_CHANNEL", "C1")
    settings = load_settings()
    assert settings.SMARTCART_TIMEZONE == "Asia/Tokyo"
    assert settings.SMARTCART_DIGEST_CHANNEL == "C1"


def test_secrets_never_show(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", SECRET_TOKEN)
    clean_env.setenv("SLACK_SIGNING_SECRET", SECRET_SIGNING)
    clean_env.setenv("SLACK_APP_TOKEN", SECRET_APP_TOKEN)
    clean_env.setenv("SMARTCART_DATABASE_URL", "postgresql://smart:db-password@127.0.0.1/test")
    settings = load_settings()
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings: %s / %r", settings, settings)
    shown = f"{settings!r} {settings!s} {caplog.text}"
    for secret in (SECRET_TOKEN, SECRET_SIGNING, SECRET_APP_TOKEN, "db-password"):
        assert secret not in shown
    dumped = settings.model_dump_json()
    for secret in (SECRET_TOKEN, SECRET_SIGNING, SECRET_APP_TOKEN):
        assert secret not in dumped
    assert settings.SLACK_BOT_TOKEN is not None
    assert settings.SLACK_BOT_TOKEN.get_secret_value() == SECRET_TOKEN
    assert "postgresql://smart:***@127.0.0.1/test" in repr(settings)


def test_contacts_and_default_country_are_checked(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("SMARTCART_CONTACTS", "crm/contacts.csv")
    clean_env.setenv("SMARTCART_DEFAULT_COUNTRY", "XX")
    message = one_line_error()
    assert f"SMARTCART_CONTACTS: '{tmp_path}/crm/contacts.csv' is not a file" in message
    assert "SMARTCART_DEFAULT_COUNTRY: 'XX' is not a country code" in message
    (tmp_path / "crm").mkdir()
    (tmp_path / "crm" / "contacts.csv").write_text("customer_id,email\n")
    clean_env.setenv("SMARTCART_DEFAULT_COUNTRY", "gb")
    settings = load_settings()
    contacts, country = settings.SMARTCART_CONTACTS, settings.SMARTCART_DEFAULT_COUNTRY
    assert (contacts, country) == (str(tmp_path / "crm" / "contacts.csv"), "GB")
    clean_env.setenv("SMARTCART_CONTACTS", "postgresql://crm:pw@db/crm")
    assert load_settings().SMARTCART_CONTACTS == "postgresql://crm:pw@db/crm"
    assert "pw@" not in repr(load_settings())
