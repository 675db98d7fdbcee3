#!/usr/bin/env python3
"""Browser test of `wick serve`: headless Chromium driven over the DevTools protocol.

Run by Tests/WickCLITests/DashboardBrowserTests.swift (`make browser-test`, part of `make test`),
which starts the loopback mock exchange and a real `wick run --paper` with an open position, then
calls this script with the run's ledger. The script starts `wick serve` on loopback with a token
and, in the real page:
  1. at 1280 px: the runs page links the run by its id; the run page shows the open position
     with its stop and the equity chart; a wrong token gets 401 and "Wrong token" and leaves the
     controls locked; the right one unlocks them;
  2. at 390 px: no horizontal scrolling (runs page and run page), the stop is on screen, the
     Emergency stop button is inside the viewport; a parameter outside the script's declared
     range is refused with the reason, a valid one is queued, applied by the runner and shown
     live; Emergency stop shows Confirm and sends nothing until Confirm is tapped; then the
     runner flattens and halts within 2 s, and the page shows it live (server-sent events, no
     reload) and withdraws the controls; the token never appears in wick serve's log.
Screenshots: out/dashboard-1280.png, out/dashboard-390.png, out/dashboard-390-halted.png,
out/dashboard-390-full.png.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import CDP, CDPError  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = "browser-test-token-1234"
checks = []
RESULT_TEXT = "document.getElementById('command-result').textContent"


def check(condition, what):
    checks.append(what)
    if not condition:
        raise AssertionError(what)
    print(f"  ok  {what}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- the browser -----------------------------------------------------------------------------
class Page:
    def __init__(self, cdp, base):
        self.cdp, self.base = cdp, base

    def size(self, width, height, mobile):
        self.cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                      deviceScaleFactor=2 if mobile else 1, mobile=mobile)
        self.width, self.height = width, height

    def open(self, path):
        self.cdp.events.clear()
        self.cdp.call("Page.navigate", url=self.base + path)
        self.cdp.wait_event("Page.loadEventFired")

    def js(self, expression):
        return self.cdp.evaluate(expression)

    def wait(self, expression, what, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.js(expression):
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out: {what}")

    def rect(self, selector):
        return self.js(f"""(() => {{ const el = {selector}; if (!el) return null;
            const r = el.getBoundingClientRect(); return {{x: r.x, y: r.y, w: r.width, h: r.height}}; }})()""")

    def tap(self, selector, what):
        """A real click at the element's centre: it must be visible inside the viewport."""
        r = self.rect(selector)
        check(r is not None and r["w"] > 0 and r["h"] > 0, f"{what} is visible")
        x, y = r["x"] + r["w"] / 2, r["y"] + r["h"] / 2
        check(0 <= x <= self.width and 0 <= y <= self.height,
              f"{what} is inside the {self.width}x{self.height} viewport (at {x:.0f},{y:.0f})")
        for kind in ("mousePressed", "mouseReleased"):
            self.cdp.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_into(self, selector, text):
        self.js(f"(() => {{ const el = {selector}; el.focus(); el.value = ''; }})()")
        self.cdp.call("Input.insertText", text=text)

    def screenshot(self, path, full=False):
        options = {}
        if full:
            size = self.cdp.call("Page.getLayoutMetrics")["cssContentSize"]
            options = {"captureBeyondViewport": True,
                       "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}}
        data = self.cdp.call("Page.captureScreenshot", format="png", **options)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print(f"  screenshot {path}", flush=True)


def price(v):
    """The dashboard's price format (HTML.price)."""
    if v is None:
        return "—"
    if abs(v) >= 1000:
        return f"{v:.2f}"
    return f"{v:.4f}" if abs(v) >= 1 else f"{v:.6g}"


def button(text):
    return f"[...document.querySelectorAll('button')].find(b => b.textContent.trim() === {json.dumps(text)})"


def start_chromium(profile):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("browser test: chromium is not installed (make test installs it)")
    proc = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 30
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            sys.exit("browser test: chromium did not start")
        time.sleep(0.1)
    port = int(open(port_file).read().split()[0])
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
    page = next(t for t in targets if t["type"] == "page")
    return proc, page["webSocketDebuggerUrl"]


def wait_http(url, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise AssertionError(f"wick serve did not answer at {url}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wick", required=True)
    parser.add_argument("--out", default=os.path.join(ROOT, "out"))
    parser.add_argument("--db", required=True, help="the ledger a running `wick run --paper` writes")
    parser.add_argument("--run", type=int, required=True, help="that run's id")
    parser.add_argument("--param", default="period", help="parameter to change")
    parser.add_argument("--bad", default="7", help="a value outside its declared range")
    parser.add_argument("--bad-reason", default="not on the grid", help="text the refusal must contain")
    parser.add_argument("--good", default="20", help="a valid value")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="wick-browser-")
    db, run = args.db, args.run
    started = time.time()
    procs = []
    try:
        print(f"browser test: run {run} in {db}", flush=True)
        con = sqlite3.connect(db, timeout=10)
        port = free_port()
        env = dict(os.environ, WICK_DASHBOARD_TOKEN=TOKEN)
        serve_log = open(os.path.join(work, "serve.log"), "w")
        procs.append(subprocess.Popen([args.wick, "serve", "--db", db, "--port", str(port)],
                                      env=env, stdout=serve_log, stderr=serve_log, cwd=work))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/runs")
        chromium, ws = start_chromium(os.path.join(work, "profile"))
        procs.append(chromium)
        cdp = CDP(ws)
        cdp.call("Page.enable")
        cdp.call("Runtime.enable")
        page = Page(cdp, base)

        print("browser test: 1280 px", flush=True)
        page.size(1280, 900, mobile=False)
        page.open("/runs")
        link = page.js(f"(() => {{ const a = document.querySelector('a[href=\"/runs/{run}\"]'); return a && a.textContent; }})()")
        check(link == str(run), f"the runs page links run {run} by its id")
        page.open(f"/runs/{run}")
        positions = con.execute("SELECT symbol, stop FROM positions WHERE run_id = ? AND active = 1 ORDER BY id", (run,)).fetchall()
        check(len(positions) >= 1, f"the run has an open position to flatten: {positions}")
        check(page.js("document.querySelectorAll('#positions .position').length") == len(positions),
              f"{len(positions)} open position(s) listed")
        stop_text = page.js("document.querySelector('#positions .position .stop').textContent")
        check(stop_text == price(positions[0][1]), f"the position shows its stop ({stop_text})")
        check(page.js("!!document.querySelector('#equity-chart svg path')"), "the equity chart is drawn")
        refusals = con.execute("SELECT COUNT(*) FROM decisions WHERE run_id = ? AND kind = 'refusal'", (run,)).fetchone()[0]
        check(page.js("document.querySelectorAll('#refusals tr').length") == min(refusals, 30),
              f"refusals are listed ({refusals})")
        page.type_into("document.querySelector('input[name=token]')", "not-the-token-at-all")
        page.tap(button("Unlock"), "Unlock")
        page.wait("document.readyState === 'complete' && document.body.textContent.includes('Wrong token')",
                  "wrong-token page")
        check(page.js("performance.getEntriesByType('navigation')[0].responseStatus") == 401,
              "a wrong token is answered with 401")
        check(page.js("document.body.textContent.includes('Wrong token')"), "the page says the token is wrong")
        page.open(f"/runs/{run}")
        check(page.js(f"!!{button('Emergency stop')}") is False, "the controls stay locked after a wrong token")
        page.type_into("document.querySelector('input[name=token]')", TOKEN)
        page.tap(button("Unlock"), "Unlock")
        page.wait(f"document.readyState === 'complete' && !!{button('Emergency stop')}", "unlocked run page")
        check(TOKEN not in page.js("location.href + document.cookie"), "the token is not in the URL or a script-readable cookie")
        time.sleep(1.5)  # let a live equity point or two arrive
        page.screenshot(os.path.join(args.out, "dashboard-1280.png"))

        print("browser test: 390 px", flush=True)
        page.size(390, 844, mobile=True)
        page.open("/runs")
        check(page.js("document.documentElement.scrollWidth") <= 390, "the runs page does not scroll sideways at 390 px")
        page.open(f"/runs/{run}")
        check(page.js("document.documentElement.scrollWidth") <= 390,
              f"no horizontal scrolling at 390 px (scrollWidth {page.js('document.documentElement.scrollWidth')})")
        check(page.js("document.querySelectorAll('#positions .position').length") == len(positions),
              "the positions are listed at 390 px")
        stop = page.rect("document.querySelector('#positions .position .stop')")
        check(stop["x"] + stop["w"] <= 390, "its stop is on screen at 390 px, not scrolled off")
        r = page.rect(button("Emergency stop"))
        check(r is not None and r["y"] + r["h"] <= 844, "Emergency stop is on screen without scrolling")
        page.screenshot(os.path.join(args.out, "dashboard-390.png"))

        # A parameter outside the script's declared range: refused with the reason.
        page.js(f"document.querySelector('form.params select').value = {json.dumps(args.param)}")
        page.type_into("document.querySelector('form.params input[name=value]')", args.bad)
        page.js("document.querySelector('form.params button').scrollIntoView({block: 'center'})")
        page.tap("document.querySelector('form.params button')", "Change parameter")
        page.wait(f"{RESULT_TEXT}.includes('Rejected')", "rejection")
        reason = page.js(RESULT_TEXT)
        check(args.bad_reason in reason, f"{args.param}={args.bad} is refused with the reason: {reason!r}")
        page.js(f"document.querySelector('form.params select').value = {json.dumps(args.param)}")
        page.type_into("document.querySelector('form.params input[name=value]')", args.good)
        page.tap("document.querySelector('form.params button')", "Change parameter")
        page.wait(f"{RESULT_TEXT}.includes('queued')", "queued")
        in_force = f"{args.param}={args.good}"
        page.wait(f"document.getElementById('params-in-force').textContent.includes({json.dumps(in_force)})",
                  f"{in_force} in force (live, no reload)", timeout=15)
        check(True, f"{in_force} was queued, applied by the runner and shown live")
        deadline = time.time() + 5
        while time.time() < deadline:
            rows = con.execute("SELECT kind, status, payload_json FROM run_commands WHERE run_id = ? ORDER BY id", (run,)).fetchall()
            if len(rows) >= 2 and rows[1][1] != "pending":
                break
            time.sleep(0.1)
        check(rows[0][:2] == ("set_param", "rejected") and rows[1][:2] == ("set_param", "done")
              and json.loads(rows[1][2]) == {"name": args.param, "value": json.loads(args.good)},
              f"run_commands records the refusal and the applied change: {rows}")
        page.wait("document.querySelector('#commands li.command[data-kind=set_param][data-status=done]') !== null",
                  "the applied change shows as done (live)")

        # Emergency stop: first tap arms, second (Confirm) sends.
        page.js("window.scrollTo(0, 0)")
        page.tap(button("Emergency stop"), "Emergency stop")
        page.wait(f"!!{button('Confirm')} && {button('Confirm')}.offsetParent !== null", "Confirm appears")
        time.sleep(0.6)
        pending = con.execute("SELECT COUNT(*) FROM run_commands WHERE kind = 'emergency_stop'").fetchone()[0]
        check(pending == 0, "nothing is sent before Confirm")
        page.tap(button("Confirm"), "Confirm")
        deadline = time.time() + 5
        while time.time() < deadline:
            status = con.execute("SELECT status FROM runs WHERE id = ?", (run,)).fetchone()[0]
            open_positions = con.execute("SELECT COUNT(*) FROM positions WHERE run_id = ? AND active = 1", (run,)).fetchone()[0]
            done = con.execute("SELECT COUNT(*) FROM run_commands WHERE kind = 'emergency_stop' AND status != 'pending'").fetchone()[0]
            if status == "halted" and open_positions == 0 and done:
                break
            time.sleep(0.1)
        handled = con.execute("SELECT status, outcome, handled_at - created_at FROM run_commands WHERE kind = 'emergency_stop'").fetchone()
        check(status == "halted" and open_positions == 0,
              "the runner flattened every position and halted"
              f" (page said {page.js(RESULT_TEXT)!r}, command {handled})")
        check(handled[0] == "done" and handled[2] <= 2000, f"the stop was handled within 2 s: {handled}")
        page.wait("document.getElementById('run-status').textContent.includes('halted')", "halted shown live")
        page.wait("document.getElementById('positions').textContent.includes('No open positions')", "flat shown live")
        page.wait(f"document.getElementById('commands').textContent.includes({json.dumps(handled[1])})",
                  f"outcome {handled[1]!r} shown")
        incident = con.execute("SELECT detail FROM incidents WHERE run_id = ? ORDER BY rowid DESC LIMIT 1", (run,)).fetchone()
        if incident:
            page.wait(f"document.getElementById('incidents').textContent.includes({json.dumps(incident[0])})",
                      "the latest incident arrives live")
        page.wait(f"!{button('Emergency stop')}", "controls withdrawn live")
        check(True, "the page shows halted, no positions, the outcome and no more controls without a reload")
        page.screenshot(os.path.join(args.out, "dashboard-390-halted.png"))
        page.screenshot(os.path.join(args.out, "dashboard-390-full.png"), full=True)
        cdp.close()
        log = open(os.path.join(work, "serve.log")).read()
        check(TOKEN not in log, "the token never appears in wick serve's log")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"browser test: {len(checks)} checks passed in {time.time() - started:.1f} s")


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, CDPError) as e:
        print(f"browser test FAILED: {e}", file=sys.stderr)
        sys.exit(1)
