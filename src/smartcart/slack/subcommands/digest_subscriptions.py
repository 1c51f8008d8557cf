"""`/segment digest subscribe [mon 08:30] | unsubscribe | status`: the digest in your channel.

Anyone may ask for the status. Subscribing and unsubscribing change where the bot posts, so only
the users of SMARTCART_ADMIN_USERS may (nobody when it is unset); every attempt, allowed or not,
is written to the audit trail. Every channel gets the same weekly snapshot of the segments: the
day and time only choose when it is posted there.
"""

from __future__ import annotations

import re

from smartcart.slack.access import ALLOWED, Decision, is_admin
from smartcart.slack.blockkit import context_block, escape, header, section
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.digest import (
    ENVIRONMENT,
    all_subscriptions,
    digest_schedules,
    subscribe,
    unsubscribe,
)
from smartcart.slack.dispatch import Answer, Request, UserError, handles
from smartcart.slack.home_tab import channel_mention, local_time
from smartcart.slack.settings import validate_crontab

DAYS = {
    "mon": "mon",
    "monday": "mon",
    "tue": "tue",
    "tuesday": "tue",
    "wed": "wed",
    "wednesday": "wed",
    "thu": "thu",
    "thursday": "thu",
    "fri": "fri",
    "friday": "fri",
    "sat": "sat",
    "saturday": "sat",
    "sun": "sun",
    "sunday": "sun",
}
DAY_NAMES = {
    "mon": "Mondays",
    "tue": "Tuesdays",
    "wed": "Wednesdays",
    "thu": "Thursdays",
    "fri": "Fridays",
    "sat": "Saturdays",
    "sun": "Sundays",
}
TIME = re.compile(r"^([01]?\d|2[0-3])[:h.]([0-5]\d)$")
USAGE = "`/segment digest subscribe [mon 08:30]`, `/segment digest unsubscribe` or `/segment digest status`"
NOT_ADMIN = (
    ":lock: Only the bot's admins can change where the digest is posted. Ask one of them "
    "(they are listed in SMARTCART_ADMIN_USERS), or see `/segment digest status`."
)


@handles(
    "digest",
    "digest subscribe [mon 08:30] | unsubscribe | status",
    "The weekly digest in this channel (admins subscribe), or where and when it is posted",
)
def digest(ctx: BotContext, args: list[str], request: Request) -> Answer:
    action = args[0].lower() if args else "status"
    if action == "status":
        return status_answer(ctx, request)
    if action not in ("subscribe", "unsubscribe"):
        raise UserError(f"`digest` takes {USAGE}.")
    if not is_admin(ctx.settings, request.user_id):
        answer = Answer(text=NOT_ADMIN, blocks=[section(NOT_ADMIN)], audit={"detail": "not admin"})
        ctx.audit(request, answer, Decision(False))
        return answer
    check_channel(ctx, request)
    if action == "subscribe":
        answer = subscribe_answer(ctx, request, args[1:])
    else:
        answer = unsubscribe_answer(ctx, request)
    ctx.audit(request, answer, ALLOWED)
    return answer


def check_channel(ctx: BotContext, request: Request) -> None:
    channel = request.channel_id
    if not channel or channel[0] not in "CG":
        raise UserError("Subscribe in the channel that should get the digest, not in a DM.")
    if channel == ctx.settings.SMARTCART_DIGEST_CHANNEL:
        raise UserError(
            "This channel gets the digest from the bot's settings (SMARTCART_DIGEST_CHANNEL); "
            "change it there."
        )


def parse_schedule(words: list[str], default_cron: str) -> tuple[str, str | None]:
    """`["mon", "08:30"]` -> (`"30 8 * * mon"`, `"Mondays 08:30"`); nothing -> the default cron."""
    if not words:
        return default_cron, None
    day, time = "mon", "09:00"
    for word in words:
        lowered = word.lower()
        if lowered in DAYS:
            day = DAYS[lowered]
        elif TIME.match(lowered):
            time = lowered
        else:
            shown = escape(word[:20])
            raise UserError(
                f"`{shown}` is neither a day (mon … sun) nor a time (08:30). Try `/segment digest subscribe mon 08:30`."
            )
    hour, minute = (int(part) for part in TIME.match(time).groups())
    cron = validate_crontab(f"{minute} {hour} * * {day}")
    return cron, f"{DAY_NAMES[day]} {hour:02d}:{minute:02d}"


def subscribe_answer(ctx: BotContext, request: Request, words: list[str]) -> Answer:
    settings = ctx.settings
    cron, when = parse_schedule(words, settings.SMARTCART_DIGEST_CRON)
    store = ctx.service.store
    new = subscribe(store, request.channel_id, cron, settings.SMARTCART_TIMEZONE, request.user_id)
    schedule = next(s for s in digest_schedules(settings, store) if s.channel == request.channel_id)
    upcoming = local_time(schedule.next_run, schedule.timezone) if schedule.next_run else "—"
    verb = "subscribed this channel to" if new else "changed this channel's schedule for"
    message = (
        f"{sharer(request)} {verb} the weekly segment digest "
        f"({escape(when or f'cron {cron}')}, {escape(settings.SMARTCART_TIMEZONE)}). "
        f"Next one: {upcoming}."
    )
    hint = "Private channel? Invite me (`/invite @SmartCart Segments`) so I can post here."
    return Answer(
        text=message,
        blocks=[section(message), context_block(hint)],
        response_type="in_channel",
        audit={"detail": f"{cron} {settings.SMARTCART_TIMEZONE}"},
    )


def unsubscribe_answer(ctx: BotContext, request: Request) -> Answer:
    if not unsubscribe(ctx.service.store, request.channel_id):
        message = "This channel isn't subscribed to the digest; nothing changed."
        return Answer(text=message, blocks=[section(message)], audit={"detail": "not subscribed"})
    message = f"{sharer(request)} unsubscribed this channel from the weekly segment digest."
    return Answer(
        text=message,
        blocks=[section(message)],
        response_type="in_channel",
        audit={"detail": "unsubscribed"},
    )


def status_answer(ctx: BotContext, request: Request) -> Answer:
    settings, store = ctx.settings, ctx.service.store
    subscriptions = {s.channel: s for s in all_subscriptions(settings, store)}
    schedules = digest_schedules(settings, store)
    if not schedules:
        message = "The digest isn't posted anywhere yet. An admin can `/segment digest subscribe` in a channel."
        return Answer(text=message, blocks=[header("Segment digest"), section(message)])
    lines = []
    for schedule in schedules:
        subscription = subscriptions[schedule.channel]
        source = " (from the bot's settings)" if subscription.source == ENVIRONMENT else ""
        upcoming = local_time(schedule.next_run, schedule.timezone) if schedule.next_run else "—"
        last = (
            f"last posted {local_time(schedule.last_posted, schedule.timezone)}"
            if schedule.last_posted
            else "not posted yet"
        )
        here = " ← this channel" if schedule.channel == request.channel_id else ""
        lines.append(
            f"• {channel_mention(schedule.channel)}{source}: next {upcoming} · {last}{here}"
        )
    text = "Segment digest: " + "; ".join(lines)
    return Answer(
        text=text,
        blocks=[header("Segment digest"), section("\n".join(lines))],
    )


def sharer(request: Request) -> str:
    user = request.user_id
    return f"<@{user}>" if re.fullmatch(r"[UW][A-Z0-9]{2,20}", user or "") else "An admin"
