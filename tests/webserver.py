"""Helpers of the web tests: a hostile cable, a cable citing another, and a live server on loopback."""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from cablesearch.model import Cable, Paragraph, Reference

HOSTILE_ID = "09EVIL1"
SCRIPT = '<script>alert("subject")</script>'
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{ 7*7 }} {% raw %}"
HOSTILE_TAG = '"><svg onload=alert(3)>'


def hostile_cable() -> Cable:
    """A cable whose subject, paragraphs and a tag hold markup and template syntax; it cites 07BAKU595."""
    paragraphs = (
        Paragraph(1, "C", f"Belarus {SCRIPT} and {IMG} talks."),
        Paragraph(2, "S", f"Lukashenko {TEMPLATE} <b>bold</b> &amp; more."),
    )
    return Cable(reference_id=HOSTILE_ID, created=datetime(2009, 6, 1, 12, 0, tzinfo=timezone.utc),
                 origin="BAKU", origin_name="Embassy Baku", classification="CONFIDENTIAL",
                 tags=("PHUM", HOSTILE_TAG), subject=f"BELARUS {SCRIPT} {TEMPLATE}",
                 references=(Reference("A", "BAKU 595", "07BAKU595"),), paragraphs=paragraphs,
                 body="\n\n".join(p.text for p in paragraphs), raw="raw", source="hostile.txt")


def synthetic_cable(i: int) -> Cable:
    """Cable number i of a batch added while the server answers (tag SYNTH)."""
    text = f"Synthetic cable {i} about pipelines and Belarus."
    return Cable(reference_id=f"09SYNTH{i}", created=datetime(2009, 1 + i % 12, 1, tzinfo=timezone.utc),
                 origin="SYNTH", origin_name="Embassy Synth", classification="UNCLASSIFIED",
                 tags=("SYNTH", "PREL"), subject=f"SYNTHETIC {i}", paragraphs=(Paragraph(1, None, text),),
                 body=text, raw=f"raw {i}", source=f"synth/{i}.txt")


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on 127.0.0.1 (a free port); yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    started = threading.Event()
    original_startup = server.startup

    async def startup(sockets=None):
        await original_startup(sockets=sockets)
        started.set()

    server.startup = startup
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        if not started.wait(30):
            raise RuntimeError("the test server did not start")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
