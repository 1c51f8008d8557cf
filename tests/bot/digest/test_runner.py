"""The digest against the Slack stand-in, on SQLite and PostgreSQL: posted once per period."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient

from bot.cli import main
from bot.context import build_context
from bot.digest.attempt import METADATA_EVENT, RETRY_BACKOFF, Attempt
from bot.digest.client import digest_client, is_ambiguous
from bot.digest.ledger import AMBIGUOUS, FAILED, POSTED, WORKING
from bot.digest.message import digest_samples
from bot.digest.runner import GRACE, LEASE, DigestRunner
from bot.settings import Settings, load_settings
from segmentation.templating import Templates
from tests.signing import TEST_BOT_TOKEN

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNEL = "C0DIGEST"
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2024, 4, 1, 9, 0, 30, tzinfo=BERLIN)  # just after the 09:00 tick
# For tests about what is posted rather than how the store claims it: SQLite is enough.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Crash(BaseException):
    """The process dying: nothing in the digest code catches it."""


@pytest.fixture
def digest_settings(engine_settings: Settings, monkeypatch) -> Settings:
    monkeypatch.setenv("SMARTCART_DIGEST_CHANNEL", CHANNEL)
    monkeypatch.setenv("SMARTCART_TIMEZONE", "Europe/Berlin")
    return load_settings()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def make_runner(digest_settings: Settings, clock: Clock) -> Iterator:
    """`make_runner(client=None)`: a runner with its own store connection, like another process."""
    contexts = []

    def make(client: WebClient | None = None, settings: Settings | None = None) -> DigestRunner:
        context = build_context(settings or digest_settings)
        contexts.append(context)
        service = context.service
        return DigestRunner(
            settings or digest_settings, service, client, clock=clock, reconcile_delay=0
        )

    yield make
    for context in contexts:
        context.service.store.engine.dispose()


def posts(standin) -> list:
    return [c for c in standin.calls("chat.postMessage") if c.body.get("channel") == CHANNEL]


def events(runner: DigestRunner) -> list[tuple]:
    run = runner.ledger.get(CHANNEL, "2024-W14")
    return [(e["from_state"], e["to_state"]) for e in runner.ledger.events(run.id)]


# -- a normal week -------------------------------------------------------------------------------


def test_the_digest_is_one_block_kit_message_with_the_chart_in_its_thread(
    make_runner, slack_standin
):
    runner = make_runner()
    result = runner.run()
    assert (result.posted, result.state, result.period) == (True, POSTED, "2024-W14")
    [call] = posts(slack_standin)
    blocks = json.loads(call.raw)["blocks"]
    assert blocks[0]["type"] == "header" and "week 14 of 2024" in blocks[0]["text"]["text"]
    body = json.dumps(blocks)
    assert "High-Value Premium Customers" in body and "first digest" in body
    assert call.body["metadata"]["event_type"] == METADATA_EVENT
    assert result.message_ts == runner.ledger.get(CHANNEL, "2024-W14").message_ts

    [complete] = slack_standin.calls("files.completeUploadExternal")
    assert complete.body["channel_id"] == CHANNEL
    assert complete.body["thread_ts"] == result.message_ts
    upload = slack_standin.uploaded(result.chart_file_id)
    assert upload["content"].startswith(PNG_SIGNATURE)
    assert upload["filename"].endswith(".png") and upload["length"] == len(upload["content"])
    assert events(runner) == [
        (None, "working"),
        ("working", "working"),
        ("working", "posted"),
        ("posted", "posted"),
    ]


def test_a_second_run_in_the_same_period_posts_nothing_and_says_so(
    make_runner, slack_standin, clock
):
    runner = make_runner()
    assert runner.run().posted
    clock.advance(timedelta(days=2))
    again = make_runner().run()
    assert not again.posted and again.state == POSTED
    assert "already posted" in again.message and "nothing posted" in again.message
    assert len(posts(slack_standin)) == 1


@SQLITE_ONLY
def test_the_next_period_posts_again_with_the_changes(make_runner, slack_standin, clock):
    runner = make_runner()
    runner.run()
    clock.advance(timedelta(days=7))
    result = runner.run(manual=False)
    assert result.posted and result.period == "2024-W15"
    assert len(posts(slack_standin)) == 2
    text = json.dumps(json.loads(posts(slack_standin)[1].raw)["blocks"])
    assert "Movements since 2024-W14" in text and "+0" in text


def test_two_concurrent_runs_post_once(make_runner, slack_standin):
    runners = [make_runner(), make_runner()]
    barrier = threading.Barrier(2)
    results = []

    def run(runner: DigestRunner) -> None:
        barrier.wait()
        results.append(runner.run())

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.posted for r in results) == [False, True]
    assert len(posts(slack_standin)) == 1
    loser = next(r for r in results if not r.posted)
    assert "nothing posted" in loser.message


# -- crashes -----------------------------------------------------------------------------------


class CrashingClient(WebClient):
    """chat.postMessage crashes the process before sending, or right after Slack answered."""

    def __init__(self, settings: Settings, after_sending: bool) -> None:
        real = digest_client(settings)
        super().__init__(
            token=real.token, base_url=real.base_url, retry_handlers=real.retry_handlers
        )
        self.after_sending = after_sending

    def chat_postMessage(self, **kwargs):  # noqa: N802 (slack_sdk's name)
        if not self.after_sending:
            raise Crash("killed before sending")
        super().chat_postMessage(**kwargs)
        raise Crash("killed after Slack answered, before the ts was stored")


@pytest.mark.parametrize("after_sending", [False, True], ids=["before-send", "after-send"])
def test_a_crash_after_the_claim_is_finished_by_the_next_run_without_a_second_post(
    make_runner, digest_settings, slack_standin, clock, after_sending
):
    with pytest.raises(Crash):
        make_runner(CrashingClient(digest_settings, after_sending)).run()
    runner = make_runner()
    assert runner.ledger.get(CHANNEL, "2024-W14").state == "working"
    within_lease = runner.run(manual=False)
    assert not within_lease.posted and "Another run" in within_lease.message

    clock.advance(LEASE + timedelta(seconds=1))
    finished = runner.run(manual=False)
    assert len(posts(slack_standin)) == 1
    run = runner.ledger.get(CHANNEL, "2024-W14")
    assert run.state == POSTED and run.message_ts and run.chart_file_id
    assert finished.posted is not after_sending  # after sending: adopted from the history
    if after_sending:
        assert "not posted again" in finished.message
        assert slack_standin.calls("conversations.history")


@SQLITE_ONLY
def test_a_crash_while_building_leaves_nothing_sent_and_the_next_run_posts(
    make_runner, slack_standin, clock, monkeypatch
):
    def crash(self):
        raise Crash("out of memory")

    with monkeypatch.context() as patch:
        patch.setattr(Attempt, "build", crash)
        with pytest.raises(Crash):
            make_runner().run()
    clock.advance(LEASE * 2)
    assert make_runner().run(manual=False).posted
    assert len(posts(slack_standin)) == 1
    assert not slack_standin.calls("conversations.history")  # no intent was recorded


# -- Slack failing ------------------------------------------------------------------------------


def test_a_429_then_success_posts_once(make_runner, slack_standin):
    slack_standin.fail_next("chat.postMessage", status=429, retry_after=1)
    result = make_runner().run()
    assert result.posted
    statuses = [c for c in slack_standin.calls("chat.postMessage")]
    assert len(statuses) == 2  # the rate-limited one, then the one that went through
    assert result.message_ts and slack_standin.calls("files.completeUploadExternal")


@SQLITE_ONLY
def test_a_500_then_success_posts_once(make_runner, slack_standin):
    slack_standin.fail_next("chat.postMessage", status=500)
    result = make_runner().run()
    assert result.posted and len(slack_standin.calls("chat.postMessage")) == 2


def test_a_failed_period_is_retried_on_a_later_tick_within_the_grace_window(
    make_runner, slack_standin, clock
):
    runner = make_runner()
    slack_standin.fail_next("chat.postMessage", status=200, error="not_in_channel")
    failed = runner.run(manual=False)
    assert (failed.posted, failed.state) == (False, FAILED)
    assert "not_in_channel" in failed.error

    clock.advance(RETRY_BACKOFF / 2)
    waiting = runner.run(manual=False)
    assert not waiting.posted and "retrying later" in waiting.message
    clock.advance(RETRY_BACKOFF)
    assert runner.run(manual=False).posted
    assert len(posts(slack_standin)) == 2  # the refused one and the posted one


@SQLITE_ONLY
def test_a_failed_period_is_not_retried_automatically_after_the_grace_window(
    make_runner, slack_standin, clock
):
    runner = make_runner()
    slack_standin.fail_next("chat.postMessage", status=200, error="channel_not_found")
    runner.run(manual=False)
    clock.advance(GRACE + timedelta(minutes=1))
    late = runner.run(manual=False)
    assert not late.posted and "grace window" in late.message
    assert runner.run(manual=True).posted  # a person can still post it with --now


@SQLITE_ONLY
def test_a_chart_that_failed_to_upload_is_uploaded_by_the_next_tick(
    make_runner, slack_standin, clock
):
    runner = make_runner()
    slack_standin.fail_next("files.getUploadURLExternal", status=200, error="not_in_channel")
    first = runner.run(manual=False)
    assert first.posted and first.chart_file_id is None
    clock.advance(RETRY_BACKOFF)
    later = runner.run(manual=False)
    assert not later.posted and later.chart_file_id
    assert slack_standin.uploaded(later.chart_file_id)["content"].startswith(PNG_SIGNATURE)
    assert len(posts(slack_standin)) == 1
    assert runner.run(manual=False).quiet  # nothing left to do


@pytest.fixture
def black_hole() -> Iterator[str]:
    """An HTTP address that accepts requests and never answers (a timeout after sending)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.recv(65536)
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/api/"
    server.close()
    for connection in held:
        connection.close()


@SQLITE_ONLY
def test_a_timeout_after_sending_is_ambiguous_and_not_replayed_blindly(
    make_runner, digest_settings, slack_standin, black_hole, clock
):
    silent = WebClient(token=TEST_BOT_TOKEN, base_url=black_hole, timeout=0.3)
    silent.retry_handlers = digest_client(digest_settings).retry_handlers
    result = make_runner(silent).run()
    assert (result.posted, result.state) == (False, AMBIGUOUS)
    assert "TimeoutError" in result.error and "not be re-posted blindly" in result.message

    clock.advance(RETRY_BACKOFF * 2)
    still = make_runner(silent).run(manual=False)  # the history cannot be read either
    assert still.state == AMBIGUOUS and "cannot check the channel history" in still.error
    assert not posts(slack_standin)

    clock.advance(RETRY_BACKOFF * 4)
    assert make_runner().run(manual=False).posted  # history readable, message not there: post
    assert len(posts(slack_standin)) == 1


@SQLITE_ONLY
def test_an_ambiguous_post_that_reached_slack_is_adopted(
    make_runner, digest_settings, slack_standin
):
    class TimesOutAfterSending(WebClient):
        def chat_postMessage(self, **kwargs):  # noqa: N802
            super().chat_postMessage(**kwargs)
            raise TimeoutError("The read operation timed out")

    real = digest_client(digest_settings)
    flaky = TimesOutAfterSending(token=real.token, base_url=real.base_url)
    adopted = make_runner(flaky).run()  # reconciled at once from the channel's history
    assert (adopted.state, adopted.posted) == (POSTED, True)
    assert "the channel history has it" in adopted.message
    assert len(posts(slack_standin)) == 1
    assert adopted.chart_file_id  # the chart went into the adopted message's thread


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_after_slack_posted_leaves_exactly_one_message(
    make_runner, slack_standin, status
):
    slack_standin.fail_next("chat.postMessage", status=status, after_doing=True)
    runner = make_runner()
    result = runner.run()
    assert (result.posted, result.state) == (True, POSTED)
    channel = [m for m in slack_standin.state.posted if m["channel"] == CHANNEL]
    assert len(channel) == 1 and result.message_ts == channel[0]["ts"]
    assert len(posts(slack_standin)) == 1  # never sent twice
    assert slack_standin.calls("conversations.history")
    assert events(runner) == [
        (None, WORKING),
        (WORKING, WORKING),
        (WORKING, WORKING),
        (WORKING, POSTED),
        (POSTED, POSTED),
    ]
    assert make_runner().run().message.startswith("The digest for")  # and nothing more later
    assert len(posts(slack_standin)) == 1


@SQLITE_ONLY
def test_a_gateway_error_with_an_unreadable_history_waits_for_a_person(
    make_runner, slack_standin, clock
):
    slack_standin.fail_next("chat.postMessage", status=502, after_doing=True)
    slack_standin.fail_next("conversations.history", status=200, error="missing_scope", times=2)
    first = make_runner().run()
    assert (first.posted, first.state) == (False, AMBIGUOUS)
    assert "502" in first.error and "not be re-posted blindly" in first.message
    clock.advance(RETRY_BACKOFF * 2)
    assert make_runner().run(manual=False).state == AMBIGUOUS  # still cannot tell: not posted
    assert len(posts(slack_standin)) == 1

    ts = slack_standin.state.posted[0]["ts"]
    settle = [
        "digest",
        "resolve",
        "--period",
        "2024-W14",
        "--posted",
        "--ts",
        ts,
        "--user",
        "U0OPS",
    ]
    result = CliRunner().invoke(main, settle)
    assert result.exit_code == 0, result.output
    assert "now posted" in result.output
    runner = make_runner()
    run = runner.ledger.get(CHANNEL, "2024-W14")
    assert (run.state, run.message_ts) == (POSTED, ts)
    assert events(runner)[-1] == (AMBIGUOUS, POSTED)
    audit = runner.service.store.audit_entries("digest_resolve")
    assert [(a["user_id"], a["target"], a["allowed"]) for a in audit] == [
        ("U0OPS", "2024-W14", True)
    ]
    again = CliRunner().invoke(main, settle)
    assert again.exit_code == 1 and "not failed_ambiguous" in again.output
    assert not runner.run(manual=False).posted and len(posts(slack_standin)) == 1


@SQLITE_ONLY
def test_resolving_an_ambiguous_run_as_not_posted_lets_the_next_run_post(
    make_runner, slack_standin
):
    slack_standin.fail_next("chat.postMessage", status=504)  # refused before posting
    slack_standin.fail_next("conversations.history", status=200, error="missing_scope")
    assert make_runner().run().state == AMBIGUOUS
    usage = CliRunner().invoke(main, ["digest", "resolve", "--period", "2024-W14"])
    assert usage.exit_code == 2 and "--posted or --not-posted" in usage.output
    result = CliRunner().invoke(main, ["digest", "resolve", "--period", "2024-W14", "--not-posted"])
    assert result.exit_code == 0 and "now failed" in result.output, result.output
    assert make_runner().run().posted
    assert len(slack_standin.state.posted) == 1


def test_only_failures_after_sending_count_as_ambiguous():
    from http.client import RemoteDisconnected
    from urllib.error import URLError

    assert is_ambiguous(TimeoutError("read timed out"))
    assert is_ambiguous(RemoteDisconnected("closed"))
    assert not is_ambiguous(URLError(ConnectionRefusedError()))


# -- what is posted ----------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_broken_template_fails_the_run_with_its_file_and_line(
    make_runner, digest_settings, slack_standin, tmp_path, monkeypatch
):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.md.j2").write_text("Customers: {{ customers|money }}\n{{ no_such_thing }}\n")
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(folder))
    result = make_runner(settings=load_settings()).run()
    assert result.state == FAILED and "digest.md.j2:2" in result.error
    assert not posts(slack_standin)


@SQLITE_ONLY
def test_a_deployment_template_is_used(make_runner, slack_standin, tmp_path, monkeypatch, trained):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.md.j2").write_text("Our own digest: {{ customers|money }} customers\n")
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(folder))
    assert make_runner(settings=load_settings()).run().posted
    expected = f"Our own digest: {len(trained.data.customers):,} customers"
    assert expected in posts(slack_standin)[0].raw.decode()


@SQLITE_ONLY
def test_the_dry_run_posts_and_claims_nothing_and_writes_a_png(
    make_runner, slack_standin, tmp_path
):
    runner = make_runner()
    preview = runner.dry_run(chart_path=tmp_path / "chart.png")
    assert preview.period.key == "2024-W14"
    assert (tmp_path / "chart.png").read_bytes().startswith(PNG_SIGNATURE)
    assert "High-Value Premium Customers" in preview.message.markdown
    assert not slack_standin.calls("chat.postMessage")
    assert runner.ledger.get(CHANNEL, "2024-W14") is None


def test_the_digest_template_renders_its_samples():
    templates = Templates()
    for name, cases in digest_samples().items():
        for context in cases.values():
            assert templates.check(name, **context) is None


# -- command line --------------------------------------------------------------------------------
