#!/usr/bin/python3
"""`autoaug report` in headless Chromium: the page loads from disk with no network, shows its SVG
plots and its sample-image grids (decoded, not blank), and logs no console error.

Usage: check_report_browser.py AUTOAUG_BINARY WORK_DIR

Makes a small study with `autoaug search` (make_study below), writes its report, opens it in
Debian's chromium through the DevTools protocol on a pipe (--remote-debugging-pipe: no port, no
network) and checks what the browser saw: console messages and exceptions, log entries, requested
URLs, the rendered DOM (plots and images with their decoded sizes and pixels) and a screenshot.
A control page with a deliberate console error and a broken image runs first, so a checker that
sees nothing cannot pass.

Python standard library only. Exit status 0: passed, 1: failed, 77: skipped (no chromium).
"""

import base64
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

SKIP = 77
TIMEOUT_S = 30  # for each browser step


def make_study(autoaug, study_dir):
    """A study the report can read: a real `autoaug search` on a budget of seconds (a tiny CNN,
    one epoch, a few hundred Fashion-MNIST images, three trials)."""
    run([autoaug, "search", "--study", study_dir, "--trials", "3", "--data", "fashion-mnist",
         "--model", "tinycnn", "--epochs", "3", "--train-size", "300", "--val-size", "200",
         "--batch-size", "50", "--threads", "1", "--subpolicies", "2"])


def run(cmd):
    started = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=300)
    print(f"$ {' '.join(cmd)}  ({time.monotonic() - started:.1f} s)")
    if r.returncode != 0:
        print(r.stdout)
        raise SystemExit(f"FAIL: exit status {r.returncode}")
    return r.stdout


class Browser:
    """Headless Chromium driven over --remote-debugging-pipe (fd 3: commands in, fd 4: replies
    and events out, each message JSON ended by a NUL byte)."""

    def __init__(self, chromium, profile_dir):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--mute-audio",
            "--hide-scrollbars", "--window-size=1000,900",
            f"--user-data-dir={profile_dir}", "--remote-debugging-pipe", "about:blank",
        ]
        # The shell puts the pipe ends on fds 3 and 4, where Chromium expects them.
        self._log = open(os.path.join(profile_dir, "chromium.log"), "w")
        self._proc = subprocess.Popen(
            ["/bin/sh", "-c", f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}', chromium]
            + flags,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            pass_fds=(to_browser_r, from_browser_w))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []  # (method, params, sessionId) in arrival order

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:  # already gone
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium exited (status {self._proc.poll()})")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None):
        """Sends a command and returns its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append((reply["method"], reply.get("params", {}),
                                    reply.get("sessionId")))

    def wait_for(self, method, session, start=0):
        """Waits for an event of `method` in `session` at or after events[start]."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for m, _, s in self.events[start:]:
                if m == method and s == session:
                    return
            reply = self._read_message(deadline)
            if "method" in reply:
                self.events.append((reply["method"], reply.get("params", {}),
                                    reply.get("sessionId")))

    def open_page(self):
        """A new tab with the Runtime, Log, Network and Page domains enabled; its session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable", session=session)
        return session

    def load(self, session, url):
        """Navigates, waits for the load event and a settled frame; returns what it logged."""
        start = len(self.events)
        result = self.send("Page.navigate", {"url": url}, session)
        if result.get("errorText"):
            raise RuntimeError(f"{url}: {result['errorText']}")
        self.wait_for("Page.loadEventFired", session, start)
        # Two animation frames: layout and painting are done.
        self.evaluate(session, "new Promise(r => requestAnimationFrame(() => "
                               "requestAnimationFrame(() => r(true))))")
        return [(m, p) for m, p, s in self.events[start:] if s == session]

    def evaluate(self, session, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session, width, height, scale):
        """The page from the top, `width` x `height` CSS pixels scaled by `scale`, as a PNG."""
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": scale}
        data = self.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                    "captureBeyondViewport": True},
                         session)["data"]
        return base64.b64decode(data)


def problems_in(events):
    """Console errors, uncaught exceptions, error log entries and requests that leave the disk."""
    found = []
    for method, p in events:
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            found.append(f"console.{p['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            found.append(f"exception: {d.get('exception', {}).get('description', d.get('text'))}")
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            found.append(f"log ({p['entry']['source']}): {p['entry']['text']}")
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if not url.startswith(("file:", "data:", "about:")):
                found.append(f"network request: {url}")
        elif method == "Network.loadingFailed":
            found.append(f"failed to load: {p.get('errorText')}")
    return found


# Runs in the page: what it shows, with each plot's drawn size and each image's decoded size and
# pixel spread (drawn into a canvas: a data: image does not taint it).
PAGE_SUMMARY_JS = """(() => {
  const svgs = [...document.querySelectorAll('svg')].map(s => {
    const box = s.getBoundingClientRect();
    return {width: box.width, height: box.height, shapes:
            s.querySelectorAll('circle, rect, path, line').length};
  });
  const images = [...document.images].map(img => {
    const out = {complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
                 shown: img.getBoundingClientRect().width, levels: 0};
    if (img.naturalWidth > 0) {
      const c = document.createElement('canvas');
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < px.length; i += 4) seen.add(px[i] << 16 | px[i + 1] << 8 | px[i + 2]);
      out.levels = seen.size;
    }
    return out;
  });
  return {title: document.title, h2: [...document.querySelectorAll('h2')].map(h => h.textContent),
          tables: document.querySelectorAll('table').length, svgs, images,
          height: document.documentElement.scrollHeight};
})()"""


def png_pixels(png):
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, color type {color})")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                row[i] = (row[i] + a) & 255
            elif kind == 2:
                row[i] = (row[i] + b) & 255
            elif kind == 3:
                row[i] = (row[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(row))
        previous = row
    return width, height, bpp, rows


def screenshot_colors(png):
    """Distinct RGB colours and the share of non-white pixels in a screenshot."""
    width, height, bpp, rows = png_pixels(png)
    colors, inked = set(), 0
    for row in rows:
        for x in range(0, width * bpp, bpp):
            rgb = row[x:x + 3]
            colors.add(rgb)
            inked += rgb != b"\xff\xff\xff"
    return len(colors), inked / float(width * height)


def check(condition, message, failures):
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        failures.append(message)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    autoaug, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("SKIP: no chromium (Debian's chromium package; tools/install_deps.sh installs it)")
        return SKIP
    started = time.monotonic()
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    study = os.path.join(work, "study")
    make_study(autoaug, study)
    report = os.path.join(work, "report.html")
    run([autoaug, "report", "--study", study, "-o", report])

    control = os.path.join(work, "control.html")
    with open(control, "w") as f:
        f.write("<!DOCTYPE html><html><head><title>control</title></head><body>"
                "<img src='data:image/png;base64,AAAA'><script>console.error('control error')"
                "</script></body></html>")

    failures = []
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=work)
    browser = Browser(chromium, profile)
    try:
        session = browser.open_page()
        # The control: the checks must see a console error and a broken image.
        events = browser.load(session, "file://" + control)
        seen = problems_in(events)
        broken = browser.evaluate(session, "document.images[0].naturalWidth")
        check(any("control error" in p for p in seen) and broken == 0,
              f"control page: console error and broken image detected ({seen})", failures)

        events = browser.load(session, "file://" + report)
        problems = problems_in(events)
        check(not problems, "report: no console errors, exceptions or network requests"
              + ("" if not problems else f": {problems}"), failures)
        page = browser.evaluate(session, PAGE_SUMMARY_JS)
        # The whole page at half size (the PNG is decoded in Python below).
        shot = browser.screenshot(session, 1000, min(page["height"], 4000), 0.5)
    finally:
        browser.close()

    with open(os.path.join(work, "report.png"), "wb") as f:
        f.write(shot)
    print(f"page: {page['title']!r}, sections {page['h2']}, {page['tables']} tables, "
          f"{page['height']} px tall")
    check(page["title"].startswith("autoaug study"), "report: title", failures)
    check("Convergence" in page["h2"], "report: convergence section", failures)
    check(len(page["svgs"]) >= 3, f"report: {len(page['svgs'])} SVG plots (convergence, op "
          "frequencies, seconds per trial)", failures)
    for i, s in enumerate(page["svgs"]):
        check(s["width"] > 100 and s["height"] > 10 and s["shapes"] > 0,
              f"report: plot {i} drawn {s['width']:.0f}x{s['height']:.0f} px with "
              f"{s['shapes']} shapes", failures)
    check(page["svgs"] and page["svgs"][0]["shapes"] >= 3 + 2,
          "report: convergence plot has a point per trial and the best-so-far line", failures)
    check(len(page["images"]) >= 1, f"report: {len(page['images'])} sample grids", failures)
    for i, img in enumerate(page["images"]):
        check(img["complete"] and img["width"] >= 64 and img["height"] >= 64 and img["shown"] > 0
              and img["levels"] > 16,
              f"report: grid {i} decoded {img['width']}x{img['height']}, shown "
              f"{img['shown']:.0f} px wide, {img['levels']} distinct colours", failures)
    colors, inked = screenshot_colors(shot)
    check(colors > 50 and 0.02 < inked < 0.9,
          f"report: screenshot {len(shot)} bytes, {colors} colours, {100 * inked:.1f}% inked",
          failures)
    print(f"{time.monotonic() - started:.1f} s in all; screenshot in {work}/report.png")
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
