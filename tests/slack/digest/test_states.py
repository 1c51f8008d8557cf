"""What each state of a run does: posted once per period, retried within the grace window."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from smartcart.slack.digest.attempt import RETRY_BACKOFF
from smartcart.slack.digest.ledger import FAILED, POSTED
from smartcart.slack.digest.runner import GRACE, DigestRunner
from tests.support.digest_runs import PNG_SIGNATURE, SQLITE_ONLY, posts


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
