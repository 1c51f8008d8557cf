"""Draw the answers marketers see, from the Block Kit the bot really builds, for the docs:
the summary, a customer answer, the App Home tab and the weekly digest (docs/*.png).

Run after `make demo` (it reads the live model and the store under `var/`); `make pictures`
runs both:

    .venv/bin/python docs/render_answers.py [--user U0MARKETER] [--out docs]

A rough rendering of the blocks (headers, text, fields, buttons, context, images), not Slack's
own. Answers go through the same request path as `smartcart ask`, audited as the local user.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from smartcart.cli.common import service, settings  # noqa: E402
from smartcart.cli.local import local_answer  # noqa: E402
from smartcart.slack.bot_engine import build_context, context_factory  # noqa: E402
from smartcart.slack.digest import DigestRunner  # noqa: E402
from smartcart.slack.listeners.events.app_home_opened import home_for  # noqa: E402
from smartcart.slack.request_path import BotServices  # noqa: E402

WIDTH_CHARS = 96
LINE = 0.26  # inches per text line


def plain(text: str) -> str:
    """mrkdwn as readable text: no `*`, `` ` ``, entities or <#channel> markup."""
    text = re.sub(r"<#(\w+)>", r"#\1", text)
    text = text.replace("*", "").replace("`", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def rows_of(blocks: list[dict], images: list[Path] = ()) -> list[tuple[str, object]]:
    """(kind, content) rows to draw, top to bottom; image blocks show `images` in turn (the
    files the answer uploads), else their alt text; images left over (the summary's chart,
    placed in the answer once uploaded; the digest's, posted in its thread) come last."""
    rows: list[tuple[str, object]] = []
    pictures = list(images)
    for block in blocks:
        kind = block["type"]
        if kind == "image":
            picture = pictures.pop(0) if pictures else None
            rows.append(("image", picture) if picture else ("small", block.get("alt_text", "")))
        elif kind == "header":
            rows.append(("header", block["text"]["text"]))
        elif kind == "divider":
            rows.append(("divider", None))
        elif kind == "actions":
            rows.append(("buttons", [e["text"]["text"] for e in block["elements"]]))
        elif kind == "context":
            rows += [("small", plain(e.get("text", ""))) for e in block["elements"]]
        elif "fields" in block:
            fields = [plain(f["text"]).split("\n", 1) for f in block["fields"]]
            for pair in range(0, len(fields), 2):
                rows.append(("fields", fields[pair : pair + 2]))
        else:
            for line in block["text"]["text"].split("\n"):
                style = "bold" if re.fullmatch(r"\*[^*]+\*", line) else "text"
                wrapped = textwrap.wrap(plain(line), WIDTH_CHARS) or [""]
                rows += [(style, part) for part in wrapped]
    return rows + [("image", picture) for picture in pictures]


def height_of(kind: str) -> float:
    heights = {"header": 1.6, "divider": 0.8, "buttons": 1.7, "fields": 2.1, "image": 14.0}
    return heights.get(kind, 1.0)


def draw(blocks: list[dict], out: Path, images: list[Path] = ()) -> Path:
    rows = rows_of(blocks, images)
    total = sum(height_of(kind) for kind, _ in rows) + 1
    fig = plt.figure(figsize=(9, total * LINE))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 100)
    ax.set_ylim(total, 0)
    ax.axis("off")
    y = 0.8
    for kind, content in rows:
        if kind == "header":
            ax.text(3, y + 0.6, content, fontsize=15, weight="bold", va="center")
        elif kind == "image":
            picture = plt.imread(str(content))
            tall = height_of("image") - 0.6
            # y counts lines of LINE inches, x hundredths of the 9-inch width
            wide = min(94, tall * LINE * picture.shape[1] / picture.shape[0] / 9 * 100)
            ax.imshow(picture, extent=(3, 3 + wide, y + 0.3 + tall, y + 0.3), aspect="auto")
        elif kind == "divider":
            ax.plot([3, 97], [y + 0.4, y + 0.4], color="#dddddd", lw=1)
        elif kind in ("text", "bold"):
            weight = "bold" if kind == "bold" else "normal"
            ax.text(3, y + 0.5, content, fontsize=10, weight=weight, va="center")
        elif kind == "small":
            ax.text(3, y + 0.5, content, fontsize=8, color="#616061", va="center")
        elif kind == "fields":
            for column, field in enumerate(content):
                x = 3 + column * 47
                ax.text(x, y + 0.5, field[0], fontsize=9.5, weight="bold", va="center")
                value = field[1] if len(field) > 1 else ""
                ax.text(x, y + 1.5, value[:56], fontsize=9.5, va="center")
        elif kind == "buttons":
            x = 3
            for label in content:
                width = 0.9 * len(label) + 4
                box = FancyBboxPatch(
                    (x, y + 0.2),
                    width,
                    1.2,
                    boxstyle="round,pad=0.1",
                    fc="white",
                    ec="#bbbbbb",
                )
                ax.add_patch(box)
                ax.text(x + width / 2, y + 0.8, label, fontsize=9, ha="center", va="center")
                x += width + 2
        y += height_of(kind)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="U0MARKETER")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    for path in pictures(settings(), args.user, args.out):
        print(path)


def pictures(config, user: str, out: Path) -> list[Path]:
    """Each answer drawn to `out`: the summary, a customer, the Home tab, the digest."""
    summary = local_answer("summary")
    drawn = [draw(summary.answer.blocks, out / "summary.png", summary.saved_uploads)]
    customer = local_answer(f"customer {a_customer()}")
    drawn.append(draw(customer.answer.blocks, out / "customer.png"))
    context = build_context(config)
    services = BotServices(config, context_factory(context), workers=None)  # type: ignore[arg-type]
    drawn.append(draw(home_for(services, user)["blocks"], out / "home-tab.png"))
    with tempfile.TemporaryDirectory() as scratch:
        chart = Path(scratch) / "digest.png"
        preview = DigestRunner(config, service(config)).dry_run(chart_path=chart)
        drawn.append(draw(preview.message.blocks, out / "digest.png", [chart]))
    return drawn


def a_customer() -> str:
    """A stored customer (the lowest id, so the picture changes only with the model)."""
    return str(min(service().store.all_customers()["ID"]))


if __name__ == "__main__":
    main()
