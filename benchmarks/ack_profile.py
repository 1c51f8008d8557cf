"""Profile of the ack path: where one `/segment customer` ack spends its CPU in the server.

Run by benchmarks/run.py in a process of its own: `python -m benchmarks.ack_profile` with a JSON
job on stdin (`api_url`, `model_dir`, `database_url`, `ids`). Builds the bot as `smartcart serve`
does, dispatches one signed command per id through Bolt (signature check, middleware, listener,
ack) in this thread, and profiles that thread's CPU time only (cProfile with `time.thread_time`),
so the answers being computed meanwhile in the answer threads are not counted. Prints one JSON
line: CPU milliseconds per ack and the functions with the most cumulative time.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

from slack_bolt.request import BoltRequest

from smartcart.slack.app import create_app
from smartcart.slack.bot_engine import build_context, context_factory
from smartcart.slack.settings import Settings
from tests.support.signing import (
    FORM,
    TEST_BOT_TOKEN,
    TEST_SIGNING_SECRET,
    signed_headers,
    slash_command_body,
)

TOP = 8
REPO = Path(__file__).resolve().parents[1]


def requests(ids: list[int], response_url: str) -> list[BoltRequest]:
    out = []
    for customer_id in ids:
        body = slash_command_body(f"customer {customer_id}", response_url)
        headers = {"content-type": FORM, **signed_headers(TEST_SIGNING_SECRET, body)}
        out.append(BoltRequest(body=body, headers={k.lower(): v for k, v in headers.items()}))
    return out


def top_functions(profile: cProfile.Profile, calls: int) -> list[dict]:
    stats = pstats.Stats(profile)
    rows = []
    for (file, line, name), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        module = file.split("site-packages/")[-1].removeprefix(f"{REPO}/")
        rows.append(
            {"function": f"{module}:{line}({name})", "ms_per_ack": cumulative * 1000 / calls}
        )
    rows.sort(key=lambda row: row["ms_per_ack"], reverse=True)
    return rows[1 : TOP + 1]  # the first is the loop itself


def main() -> None:
    job = json.load(sys.stdin)
    settings = Settings(
        _env_file=None,
        SLACK_BOT_TOKEN=TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET=TEST_SIGNING_SECRET,
        SLACK_API_URL=job["api_url"],
        SMARTCART_MODEL_DIR=job["model_dir"],
        SMARTCART_DATABASE_URL=job["database_url"],
    )
    context = build_context(settings)
    app = create_app(settings, context_factory(context))
    for request in requests(job["ids"][:10], job["response_url"]):  # warm-up
        app.dispatch(request)
    batch = requests(job["ids"], job["response_url"])
    profile = cProfile.Profile(time.thread_time)
    started = time.thread_time()
    profile.enable()
    for request in batch:
        if app.dispatch(request).status != 200:
            raise RuntimeError("a command was not acknowledged")
    profile.disable()
    cpu_ms = (time.thread_time() - started) * 1000 / len(batch)
    print(json.dumps({"cpu_ms_per_ack": cpu_ms, "top": top_functions(profile, len(batch))}))


if __name__ == "__main__":
    main()
