"""Headless Chromium driven over the DevTools protocol, for the report tests (no driver binary needed).

Debian's ``chromium`` package is installed on demand by :func:`ensure_chromium`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import websocket  # websocket-client

IMAGES_LOADED = """Promise.all(Array.from(document.images).map(img => img.decode()
    .then(() => [img.currentSrc.slice(0, 80), img.naturalWidth], () => [img.currentSrc.slice(0, 80), 0])))"""
LINKS = "Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def ensure_chromium() -> str:
    """The Chromium binary, installing Debian's ``chromium`` package first if it is missing."""
    if path := find_chromium():
        return path
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if not shutil.which("apt-get"):
        raise RuntimeError("Chromium is not installed and apt-get is not available: install chromium")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        result = subprocess.run(sudo + command, capture_output=True, text=True,
                                env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
        if result.returncode != 0:
            raise RuntimeError(f"could not install chromium ({' '.join(command)}): {result.stderr[-2000:]}")
    if path := find_chromium():
        return path
    raise RuntimeError("apt-get installed chromium but no chromium binary is on PATH")


class HeadlessChromium:
    """``with HeadlessChromium() as browser: browser.open(url); browser.evaluate(js)``."""

    def __init__(self, binary: str | None = None, timeout: float = 60):
        self.binary = binary or ensure_chromium()
        self.timeout = timeout
        self._id = 0

    def __enter__(self) -> "HeadlessChromium":
        self.profile = tempfile.mkdtemp(prefix="sslnb-chromium-")
        self.process = subprocess.Popen(
            [self.binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "--allow-file-access-from-files", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        browser_url = self._wait_for_devtools()
        port = re.search(r":(\d+)/", browser_url).group(1)
        page = self._page_target(port)
        self.socket = websocket.create_connection(page, timeout=self.timeout)
        self.call("Page.enable")
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()  # SIGTERM: Chromium closes its helper processes itself
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def _wait_for_devtools(self) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if match := re.search(r"DevTools listening on (ws://\S+)", line):
                return match.group(1)
            if not line and self.process.poll() is not None:
                break
        raise RuntimeError(f"Chromium did not start its DevTools endpoint (exit code {self.process.poll()})")

    def _page_target(self, port: str) -> str:
        import urllib.request

        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
                targets = [t for t in json.load(response) if t["type"] == "page"]
            if targets:
                return targets[0]["webSocketDebuggerUrl"]
            time.sleep(0.2)
        raise RuntimeError("Chromium opened no page")

    def call(self, method: str, **params) -> dict:
        self._id += 1
        self.socket.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def open(self, url: str) -> None:
        """Navigate to ``url`` and wait for its load event; an error if the page cannot be loaded."""
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise RuntimeError(f"{url}: {result['errorText']}")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not finish loading in {self.timeout} s")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")


def check_renders_in_chromium(index: Path) -> dict:
    """Load ``index`` and every HTML page it links; every image must decode and every link resolve."""
    reports = index.parent.resolve()
    checked = {"pages": 0, "images": 0, "links": 0}
    with HeadlessChromium() as browser:
        browser.open(index.as_uri())
        links = browser.evaluate(LINKS)
        pages = [index.as_uri()]
        for link in links:
            url = urlparse(link)
            assert url.scheme == "file", f"the report links outside itself: {link}"
            target = Path(unquote(url.path))
            assert target.is_file() and reports in target.resolve().parents, f"broken link {link}"
            if target.suffix == ".html":
                pages.append(link.split("#")[0])
        checked["links"] = len(links)
        for page in dict.fromkeys(pages):
            browser.open(page)
            images = browser.evaluate(IMAGES_LOADED)
            broken = [src for src, width in images if width == 0]
            assert not broken, f"{page}: images that did not load: {broken}"
            checked["pages"] += 1
            checked["images"] += len(images)
    assert checked["images"] > 0 and checked["pages"] > 1
    return checked
