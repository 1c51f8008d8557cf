"""Charts inside the answer: an image block that references the uploaded file (`slack_file`).

The image is uploaded first with files_upload_v2 and no channel (so no separate file message),
then referenced by its file id. Slack needs a moment to process a new file before a block may
use it (files.info shows its mimetype then). Where Slack refuses the block (an old workspace, a
file it will not show), the answer goes out without it and the chart is uploaded as a file, as
before, so the user always gets it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any
from urllib.error import URLError

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from smartcart.slack.blockkit import truncate
from smartcart.slack.dispatch import Answer, Upload

logger = logging.getLogger(__name__)

PROCESSING_CHECKS = 6
PROCESSING_WAIT_SECONDS = 0.5
MAX_ALT_TEXT = 2000


def send_with_images(
    client: WebClient, respond: Respond, answer: Answer, replace_original: bool | None = None
) -> list[Upload]:
    """Send the answer with its inline images; return the uploads still to send as files."""
    inline = [upload for upload in answer.uploads if upload.inline]
    if not inline:
        send_answer(respond, answer, replace_original)
        return answer.uploads
    try:
        images = [image_block(upload_unshared(client, upload), upload) for upload in inline]
    except (SlackClientError, URLError, OSError, KeyError) as error:
        logger.warning("inline image upload failed (%s); sending it as a file", error)
        send_answer(respond, answer, replace_original)
        return answer.uploads
    response = send_answer(respond, with_images(answer, images), replace_original)
    if getattr(response, "status_code", 200) == 200:
        return [upload for upload in answer.uploads if not upload.inline]
    logger.info("Slack refused the image block (%s); sending the chart as a file", response.body)
    send_answer(respond, answer, replace_original)
    return answer.uploads


def send_answer(respond: Respond, answer: Answer, replace_original: bool | None = None) -> Any:
    """Post the answer to the request's response_url (returns Slack's webhook response)."""
    return respond(
        response_type=answer.response_type,
        text=answer.text,
        blocks=answer.blocks,
        replace_original=replace_original,
    )


def upload_unshared(client: WebClient, upload: Upload) -> str:
    """Upload to no channel; the file id once Slack has processed the file (or tried enough)."""
    response = client.files_upload_v2(
        filename=upload.filename, content=upload.content, title=upload.title
    )
    file_id = (response.get("file") or (response.get("files") or [{}])[0])["id"]
    for attempt in range(PROCESSING_CHECKS):
        info = client.files_info(file=file_id)
        if (info.get("file") or {}).get("mimetype"):
            break
        if attempt + 1 < PROCESSING_CHECKS:
            time.sleep(PROCESSING_WAIT_SECONDS)
    return file_id


def image_block(file_id: str, upload: Upload) -> dict:
    return {
        "type": "image",
        "slack_file": {"id": file_id},
        "alt_text": truncate(upload.title, MAX_ALT_TEXT),
        "title": {"type": "plain_text", "text": truncate(upload.title, 200)},
    }


def with_images(answer: Answer, images: list[dict]) -> Answer:
    """The images before the answer's first actions block (its buttons stay last)."""
    blocks = list(answer.blocks)
    at = next((i for i, b in enumerate(blocks) if b.get("type") == "actions"), len(blocks))
    return replace(answer, blocks=blocks[:at] + images + blocks[at:])
