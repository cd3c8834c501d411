"""Opens pages in one headless Firefox through Marionette, Firefox's own remote protocol, with
nothing but the standard library: no geckodriver, no Selenium.

    python3 firefox_marionette.py FIREFOX PROFILE JOBS.json RESULTS.json

JOBS.json: {"width": W, "height": H, "pages": [{"url": "file:///…", "script": JS or null,
"screenshot": PATH or null}]}. For every page, in order, RESULTS.json gets the DOM after the
page's scripts ran, the value of its script (run in the page after the load), the console's
messages while it loaded (script errors, Content-Security-Policy reports) and the URLs of the
requests it made (file: excepted). Firefox starts once, with a fresh profile whose prefs send
every connection to a closed port, and is always stopped before the script ends.

The protocol (firefox-source-docs, remote/marionette/Protocol): each message is its JSON
length in bytes, a colon, and the JSON; a command is [0, id, name, parameters], its response
[1, id, error, result]; the server greets first with {"applicationType", "marionetteProtocol"}.
"""

import base64
import json
import os
import socket
import subprocess
import sys
import time

# Every connection goes to a proxy on a closed port, so nothing can leave the machine; the
# browser's own background traffic is switched off so that what is recorded is the page's.
PREFS = {
    "marionette.port": 0,  # any free port; Firefox writes it to MarionetteActivePort
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.socks": "127.0.0.1",
    "network.proxy.socks_port": 9,
    "network.proxy.socks_remote_dns": True,
    "network.proxy.allow_hijacking_localhost": True,
    "network.proxy.no_proxies_on": "",
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "app.update.enabled": False,
    "app.normandy.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "devtools.console.stdout.content": False,
}

# Runs in the browser's chrome: logs every HTTP channel a page opens (its triggering principal
# is the page), as a console message the results pick up.
RECORD_REQUESTS = """
const observer = {observe(subject) {
  const channel = subject.QueryInterface(Ci.nsIChannel);
  const principal = channel.loadInfo && channel.loadInfo.triggeringPrincipal;
  const origin = principal && principal.URI ? principal.URI.spec : "";
  if (origin.startsWith("file:")) Services.console.logStringMessage("spiglass-request " + channel.URI.spec);
}};
Services.obs.addObserver(observer, "http-on-opening-request");
"""

READ_CONSOLE = """
const out = [];
for (const m of Services.console.getMessageArray() || []) {
  if (m instanceof Ci.nsIScriptError) {
    out.push({category: m.category, message: m.errorMessage, source: m.sourceName,
              error: (m.flags & Ci.nsIScriptError.warningFlag) == 0 && (m.flags & Ci.nsIScriptError.infoFlag) == 0});
  } else {
    out.push({category: "", message: m.message, source: "", error: false});
  }
}
return out;
"""


class Marionette:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buffer = b""
        self.next_id = 0
        hello = self.receive()
        if hello.get("applicationType") != "gecko":
            raise RuntimeError("not a Marionette server: %r" % hello)

    def receive(self):
        while b":" not in self.buffer:
            self.read_more()
        length, _, rest = self.buffer.partition(b":")
        size = int(length)
        self.buffer = rest
        while len(self.buffer) < size:
            self.read_more()
        message, self.buffer = self.buffer[:size], self.buffer[size:]
        return json.loads(message)

    def read_more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("Marionette closed the connection")
        self.buffer += chunk

    def command(self, name, parameters=None):
        self.next_id += 1
        data = json.dumps([0, self.next_id, name, parameters or {}]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            reply = self.receive()
            if reply[0] == 1 and reply[1] == self.next_id:
                break
        if reply[2]:
            raise RuntimeError("%s failed: %r" % (name, reply[2]))
        result = reply[3]
        return result.get("value") if isinstance(result, dict) else result

    def script(self, source, chrome=False):
        self.command("Marionette:SetContext", {"value": "chrome" if chrome else "content"})
        return self.command("WebDriver:ExecuteScript", {"script": source, "args": []})


def start(firefox, profile):
    with open(os.path.join(profile, "user.js"), "w") as prefs:
        for name, value in PREFS.items():
            prefs.write("user_pref(%s, %s);\n" % (json.dumps(name), json.dumps(value)))
    log = open(os.path.join(profile, "firefox.log"), "w")
    arguments = [firefox, "--headless", "--marionette", "--remote-allow-system-access", "-no-remote"]
    process = subprocess.Popen(
        arguments + ["-profile", profile], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    port_file = os.path.join(profile, "MarionetteActivePort")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("Firefox ended at start (status %d)" % process.returncode)
        try:
            with open(port_file) as file:
                return process, Marionette(int(file.read().strip()))
        except (OSError, ValueError):
            time.sleep(0.2)
    raise RuntimeError("Firefox did not open its Marionette port")


def load(driver, page):
    driver.script("Services.console.reset();", chrome=True)
    driver.command("Marionette:SetContext", {"value": "content"})
    driver.command("WebDriver:Navigate", {"url": page["url"]})
    value = driver.script(page["script"]) if page.get("script") else None
    dom = driver.script("return document.documentElement.outerHTML;")
    if page.get("screenshot"):
        png = driver.command("WebDriver:TakeScreenshot", {"full": False, "hash": False})
        with open(page["screenshot"], "wb") as file:
            file.write(base64.b64decode(png))
    messages = driver.script(READ_CONSOLE, chrome=True)
    prefix = "spiglass-request "
    requests = [m["message"][len(prefix) :] for m in messages if m["message"].startswith(prefix)]
    console = [m for m in messages if not m["message"].startswith(prefix)]
    return {"dom": dom, "value": value, "console": console, "requests": requests}


def main():
    firefox, profile, jobs_path, results_path = sys.argv[1:5]
    with open(jobs_path) as file:
        jobs = json.load(file)
    process, driver = start(firefox, profile)
    try:
        # Bounded waits: a page that never loads fails the run instead of holding it.
        capabilities = {"pageLoadStrategy": "normal", "timeouts": {"pageLoad": 60000, "script": 30000}}
        driver.command("WebDriver:NewSession", {"capabilities": {"alwaysMatch": capabilities}})
        driver.script(RECORD_REQUESTS, chrome=True)
        driver.command("Marionette:SetContext", {"value": "content"})
        driver.command("WebDriver:SetWindowRect", {"width": jobs["width"], "height": jobs["height"]})
        results = [load(driver, page) for page in jobs["pages"]]
        with open(results_path, "w") as file:
            json.dump(results, file)
        try:
            driver.command("Marionette:Quit", {"flags": ["eForceQuit"]})
        except (RuntimeError, OSError):
            pass
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
