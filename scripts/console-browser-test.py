#!/usr/bin/env python3
"""The admin console in a real browser (issue 7): headless Chromium driven by Selenium against the built
relay on loopback, with a stand-in adapter that refuses deliveries until the test lets it accept them.

Checks: a page without a session is sent to sign-in; a wrong token is refused; sign-in with the keyboard;
the overview, endpoints, timeline and dead-letter pages; a single replay ends delivered in the timeline;
a bulk replay's dry-run count equals what it then replays; a form post without the CSRF token is refused;
times are shown in the viewer's zone; the pages fit a narrow screen. Screenshots go to
.build/console-screenshots/ (the README's is copied from there by `make console-screenshot`).

Usage: scripts/console-browser-test.py [path to webhook-relay]
"""
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

BINARY = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/webhook-relay"
SHOTS = pathlib.Path(".build/console-screenshots")
ADMIN, SUBMIT, CALLBACK = "console-admin-token", "console-submit-token", "console-callback-token"
failures = []


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Adapter(BaseHTTPRequestHandler):
    """Refuses every delivery with a permanent 400 until `accepting` is set, then answers 202."""
    accepting = False
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Adapter.received.append((self.headers.get("webhook-id"), json.loads(body or b"{}").get("correlation_id")))
        status, answer = (202, b'{"decision":"pending"}') if Adapter.accepting else (400, b'{"error":"unknown chat id"}')
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(method, url, token=None, body=None, headers=None):
    request = urllib.request.Request(url, method=method, data=body, headers=headers or {})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if body is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def wait_for(what, condition, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    check(False, "in time: " + what)
    return False


def soon(condition, what, timeout=10):
    """A check on the page a click led to: the browser may still be loading it."""
    deadline = time.time() + timeout
    while time.time() < deadline and not condition():
        time.sleep(0.1)
    check(condition(), what)


def main():
    SHOTS.mkdir(parents=True, exist_ok=True)
    adapter = ThreadingHTTPServer(("127.0.0.1", 0), Adapter)
    threading.Thread(target=adapter.serve_forever, daemon=True).start()
    adapter_url = "http://127.0.0.1:%d/approve" % adapter.server_address[1]

    work = tempfile.mkdtemp(prefix="relay-console-")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    environment = dict(os.environ, RELAY_LISTEN="127.0.0.1:%d" % port, RELAY_DATABASE="sqlite:%s/relay.sqlite" % work,
                       RELAY_ADMIN_TOKEN=ADMIN, RELAY_SUBMIT_TOKEN=SUBMIT, RELAY_CALLBACK_TOKEN=CALLBACK,
                       RELAY_LOG_LEVEL="warning", RELAY_POLL_INTERVAL_MS="100")
    log = open(os.path.join(work, "relay.log"), "w")
    relay = subprocess.Popen([BINARY, "serve", "--config", "Config/relay.yaml"], env=environment, stderr=log, stdout=subprocess.DEVNULL)
    driver = None
    try:
        def answering():
            try:
                return relay.poll() is not None or call("GET", base + "/healthz")[0] == 200
            except OSError:
                return False
        wait_for("the relay answering", answering)
        check(relay.poll() is None, "the relay is running")
        status, _, text = call("POST", base + "/api/v1/endpoints", ADMIN, json.dumps(
            {"name": "telegram", "role": "approver", "url": adapter_url}).encode())
        check(status == 201, "endpoint registered (%d %s)" % (status, text[:80]))
        call("POST", base + "/api/v1/endpoints", ADMIN, json.dumps(
            {"name": "slack", "role": "executor", "url": "http://127.0.0.1:9/never"}).encode())
        names = ["deploy-%d" % index for index in range(4)]
        for name in names:
            body = {"kind": "approval", "correlation_id": name, "tool": "github_create_env_secret_k8s",
                    "arguments": {"namespace": "ai-staging"}, "justification": "Rotate the billing password.",
                    "approval_request": "Create a secret and inject it.", "risk_assessment": "Low: a staging secret only.",
                    "callback": {"url": "http://127.0.0.1:9/decisions"}}
            status, _, text = call("POST", base + "/api/v1/requests", SUBMIT, json.dumps(body).encode(), {"Idempotency-Key": name})
            check(status == 202, "submitted %s (%d %s)" % (name, status, text[:160]))

        def dead_count():
            return len(json.loads(call("GET", base + "/api/v1/dead-letters?endpoint=telegram", ADMIN)[2])["items"])
        wait_for("four dead letters (the adapter answers 400)", lambda: dead_count() == 4)

        # Without a session: every page goes to sign-in, and says where it came from.
        status, headers, _ = call("GET", base + "/console/dead-letters?reason=permanent")
        check(status == 303 and headers.get("Location", "").startswith("/console/sign-in?next="),
              "a page without a session redirects to sign-in (%d %s)" % (status, headers.get("Location")))

        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en-US"]:
            options.add_argument(argument)
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(20)
        driver.implicitly_wait(5)  # find_element waits for the page a click or a key press led to
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})

        driver.get(base + "/console/endpoints")
        check("/console/sign-in" in driver.current_url, "the browser lands on sign-in")
        driver.save_screenshot(str(SHOTS / "1-sign-in.png"))
        token = driver.find_element(By.ID, "token")
        check(driver.switch_to.active_element == token, "the token field has the focus")
        token.send_keys("not-the-token" + Keys.ENTER)
        soon(lambda: "not the admin token" in driver.page_source, "a wrong token is refused")
        driver.find_element(By.ID, "token").send_keys(ADMIN + Keys.ENTER)  # the keyboard alone signs in
        soon(lambda: driver.current_url == base + "/console/endpoints", "signed in, back on the page asked for")
        cookie = driver.get_cookie("relay_console")
        check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict",
              "the session cookie is HttpOnly and SameSite=Strict (%s)" % cookie)
        check("telegram" in driver.page_source and "HTTP 400" in driver.page_source,
              "the endpoints page shows the endpoint and its last error")
        driver.save_screenshot(str(SHOTS / "2-endpoints.png"))

        driver.get(base + "/console")
        check("Requests by state" in driver.page_source and "Last hour" in driver.page_source, "the overview renders")
        driver.save_screenshot(str(SHOTS / "3-overview.png"))

        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        check(driver.switch_to.active_element.get_attribute("class") == "skip", "the first Tab reaches the skip link")

        driver.get(base + "/console/dead-letters")
        rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
        check(len(rows) == 4, "the dead-letter page lists four (%d)" % len(rows))
        stamp = driver.find_element(By.CSS_SELECTOR, "tbody time")
        check(stamp.text != stamp.get_attribute("datetime") and stamp.get_attribute("title") == stamp.get_attribute("datetime"),
              "times are shown in the viewer's zone (%s for %s)" % (stamp.text, stamp.get_attribute("datetime")))
        driver.save_screenshot(str(SHOTS / "4-dead-letters.png"))

        # A form post without the CSRF token, from the signed-in browser itself: refused.
        refused = driver.execute_script("""
            return fetch('/console/dead-letters/replay', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                         body: 'confirm=yes', redirect: 'manual'}).then(function (r) { return r.status; });""")
        check(refused == 403, "a form post without the CSRF token is refused (%s)" % refused)
        session = "relay_console=" + cookie["value"]
        status, _, _ = call("POST", base + "/console/dead-letters/replay", body=b"confirm=yes&csrf=forged",
                            headers={"Cookie": session, "Content-Type": "application/x-www-form-urlencoded"})
        check(status == 403, "a forged CSRF token is refused (%d)" % status)
        check(dead_count() == 4, "nothing was replayed by the refused posts")

        # One replay: the adapter accepts now; the timeline shows the delivery.
        Adapter.accepting = True
        first = rows[0].find_element(By.CSS_SELECTOR, "td a").text
        rows[0].find_element(By.CSS_SELECTOR, "button").click()
        soon(lambda: "/console/requests/" in driver.current_url and "Dead letter replayed" in driver.page_source,
             "a single replay lands on its timeline")

        def delivered_in_timeline():
            driver.refresh()
            return "state-delivered" in driver.page_source and "202" in driver.page_source
        wait_for("the replayed delivery shown delivered in the timeline", delivered_in_timeline)
        check(first in driver.page_source, "the timeline is %s's" % first)
        driver.save_screenshot(str(SHOTS / "5-timeline.png"))

        # Bulk: the dry run's count, confirmed, is what is replayed.
        driver.get(base + "/console/dead-letters?endpoint=telegram&reason=permanent")
        listed = len(driver.find_elements(By.CSS_SELECTOR, "tbody tr"))
        driver.find_element(By.CSS_SELECTOR, "form.bulk button").click()
        dry_run = int(driver.find_element(By.ID, "dry-run-count").text)
        check(dry_run == listed == 3, "the dry run counts what the page lists (%d, %d)" % (dry_run, listed))
        driver.save_screenshot(str(SHOTS / "6-confirm-bulk-replay.png"))
        driver.find_element(By.CSS_SELECTOR, "button.danger").click()
        soon(lambda: "Replayed %d dead letter(s)" % dry_run in driver.page_source, "the bulk replay replayed the dry run's count")
        wait_for("every replayed message delivered", lambda: dead_count() == 0 and len(
            {wid for wid, _ in Adapter.received}) == 4 and all(
            json.loads(call("GET", base + "/api/v1/requests/" + name, ADMIN)[2])["messages"][0]["state"] == "delivered" for name in names))

        # The Requests tab (SPEC §12): the list, a request's own content, and its cancel button, confirmed in the browser.
        driver.get(base + "/console/requests")
        listed = driver.find_elements(By.CSS_SELECTOR, "tbody tr td a")
        check(len(listed) == len(names) and {link.text for link in listed} == set(names),
              "the Requests tab lists every request (%s)" % [link.text for link in listed])
        driver.get(base + "/console/requests?state=cancelled")
        check(not driver.find_elements(By.CSS_SELECTOR, "tbody tr"), "the state filter leaves none cancelled yet")
        driver.get(base + "/console/requests")
        target = driver.find_elements(By.CSS_SELECTOR, "tbody tr td a")[0].text
        driver.find_elements(By.CSS_SELECTOR, "tbody tr td a")[0].click()
        soon(lambda: "What is asked" in driver.page_source and "Create a secret and inject it." in driver.page_source,
             "a request's page shows what it asks")
        driver.find_element(By.ID, "reason").send_keys("withdrawn in the browser test")
        driver.find_element(By.CSS_SELECTOR, "form[action$='/cancel'] button").click()
        driver.switch_to.alert.accept()  # the confirmation the console asks for
        soon(lambda: "Request cancelled" in driver.page_source and "state-cancelled" in driver.page_source, "the cancel lands on the request")
        check(json.loads(call("GET", base + "/api/v1/requests/" + target, ADMIN)[2])["state"] == "cancelled", "the request is cancelled")
        driver.save_screenshot(str(SHOTS / "8-cancelled.png"))
        driver.get(base + "/console")
        loaded = driver.execute_script(
            "return Array.from(document.querySelectorAll('.charts img')).map(function (i) { return i.complete && i.naturalWidth > 0; });")
        check(loaded == [True, True], "the overview's two pictures of the last hour load (%s)" % loaded)

        driver.set_window_size(390, 844)
        driver.get(base + "/console/dead-letters")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        check(width <= 390, "the page fits a narrow screen (scroll width %d)" % width)
        driver.save_screenshot(str(SHOTS / "7-narrow.png"))
        driver.set_window_size(1280, 900)

        driver.find_element(By.CSS_SELECTOR, "form.sign-out button").click()
        soon(lambda: "/console/sign-in" in driver.current_url, "signed out")
        driver.get(base + "/console")
        check("/console/sign-in" in driver.current_url, "after signing out, pages ask for sign-in again")
    finally:
        if driver is not None:
            driver.quit()
        relay.terminate()
        relay.wait(timeout=20)
        adapter.shutdown()
        log.close()
        relay_log = open(os.path.join(work, "relay.log")).read()
        check(ADMIN not in relay_log, "the admin token is not in the relay's log")
        shutil.rmtree(work, ignore_errors=True)
    print("screenshots in %s" % SHOTS)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
