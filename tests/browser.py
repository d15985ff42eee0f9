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

# Lazy images (the report's figures) load only when scrolled to: ask for each at once, then wait for it.
IMAGES_LOADED = """Promise.all(Array.from(document.images).map(img => { img.loading = 'eager'; return img; }).map(img => img.decode()
    .then(() => [img.currentSrc.slice(0, 80), img.naturalWidth], () => [img.currentSrc.slice(0, 80), 0])))"""
LINKS = "Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
# Tables that do not fit: wider than the window, or cut by a scrolling box around them (columns out of sight).
HIDDEN_TABLES = """Array.from(document.querySelectorAll('table')).filter(table => {
    if (table.getBoundingClientRect().right > document.documentElement.clientWidth + 1) return true;
    for (let box = table.parentElement; box; box = box.parentElement) {
        if (box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== 'visible') return true;
    }
    return false;
}).map(table => (table.innerText || '').slice(0, 60))"""
WIDTH = 1400  # the window the report must fit: a laptop's, and the issue's

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

    def resize(self, width: int, height: int = 900) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")


def check_renders_in_chromium(index: Path) -> dict:
    """Load ``index`` and every HTML page it links, in a window WIDTH pixels wide: every image must decode,
    every link resolve, every table show all its columns, and every page but the index link back to it."""
    reports = index.parent.resolve()
    checked = {"pages": 0, "images": 0, "links": 0, "tables": 0}
    with HeadlessChromium() as browser:
        browser.resize(WIDTH)
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
            hidden = browser.evaluate(HIDDEN_TABLES)
            assert not hidden, f"{page}: tables with columns out of sight at {WIDTH} px: {hidden}"
            if page != index.as_uri():
                back = [Path(unquote(urlparse(link).path)).resolve() for link in browser.evaluate(LINKS)]
                assert index.resolve() in back, f"{page} has no link back to {index.name}"
            checked["tables"] += browser.evaluate("document.querySelectorAll('table').length")
            checked["pages"] += 1
            checked["images"] += len(images)
    assert checked["images"] > 0 and checked["pages"] > 1 and checked["tables"] > 0  # else nothing was checked
    return checked
