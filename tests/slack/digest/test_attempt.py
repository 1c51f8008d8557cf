"""An attempt's post: crashes, timeouts and 5xx after sending never give a second message."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient

from smartcart.cli import main
from smartcart.slack.digest.attempt import RETRY_BACKOFF, Attempt
from smartcart.slack.digest.client import digest_client
from smartcart.slack.digest.ledger import AMBIGUOUS, POSTED, WORKING
from smartcart.slack.digest.runner import LEASE
from smartcart.slack.settings import Settings
from tests.support.digest_runs import CHANNEL, SQLITE_ONLY, Crash, events, posts
from tests.support.signing import TEST_BOT_TOKEN

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


# -- ambiguous answers after sending ------------------------------------------------------------


@SQLITE_ONLY
def test_a_500_then_success_posts_once(make_runner, slack_standin):
    slack_standin.fail_next("chat.postMessage", status=500)
    result = make_runner().run()
    assert result.posted and len(slack_standin.calls("chat.postMessage")) == 2
    assert slack_standin.calls("conversations.history")  # a 500 may come after posting


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
