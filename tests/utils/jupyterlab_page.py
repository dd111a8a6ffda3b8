"""A JupyterLab server and a notebook page in Chromium, driven the way a student uses them.

Used by test_jupyterlab_browser.py. The server runs from this Python (so its
python3 kernel is this environment's, with tinyfit importable) with its config,
settings, workspaces and runtime folders in a temporary folder, so nothing of
the user's JupyterLab set-up changes what the page shows. The browser is the
system's Chromium (Playwright's own builds are not downloaded), kept off the
network it would otherwise reach for updates and news.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Variables that change which progress display tinyfit picks (CI gives text lines).
PROGRESS_VARIABLES = ("TINYFIT_PROGRESS", "CI")
# The kernel statuses JupyterLab shows, other than idle and busy, while a kernel it lost comes back.
NOT_RUNNING = ("restarting", "autorestarting", "dead", "starting", "terminating", "unknown", "connecting",
               "initializing")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLabServer:
    """`jupyter lab` serving `root`, with no token, password or XSRF check, on a free local port."""

    def __init__(self, root: Path, state: Path):
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = state / "jupyterlab.log"
        self._env = self._environment(state)
        self._process: subprocess.Popen | None = None
        self._log = None

    @staticmethod
    def _environment(state: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in PROGRESS_VARIABLES}
        folders = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "settings",
            "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        }
        for variable, name in folders.items():
            (state / name).mkdir(parents=True, exist_ok=True)
            env[variable] = str(state / name)
        # No news or update checks: the network is closed and their toasts would cover the notebook.
        notification = state / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True, exist_ok=True)
        notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        return env

    def start(self, timeout: float = 60.0) -> None:
        self._log = open(self.log_path, "wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}",
             "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
             "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={self.root}",
             # Containers often run as root; jupyter refuses that unless told.
             "--ServerApp.allow_root=True"],
            env=self._env, cwd=self.root, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self._process.returncode}:\n{self.log()}")
            try:
                self.api("status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        raise TimeoutError(f"jupyter lab did not answer /api/status in {timeout:.0f}s:\n{self.log()}")

    def api(self, path: str):
        with urllib.request.urlopen(f"{self.url}/api/{path}", timeout=5) as response:
            return json.load(response)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            # SIGINT twice is jupyter's own quick shutdown; its kernels are shut down with it.
            for _ in range(2):
                self._process.send_signal(signal.SIGINT)
                time.sleep(0.2)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()


class NotebookPage:
    """One notebook open in JupyterLab in a Playwright page: run, restart, save, read what it shows."""

    def __init__(self, page, server: JupyterLabServer, name: str):
        self.page = page
        self.server = server
        self.name = name

    def open(self, timeout_ms: int = 60_000) -> None:
        # `reset` starts from an empty workspace, so notebooks opened earlier are not reopened beside it.
        self.page.goto(f"{self.server.url}/lab/tree/{self.name}?reset", timeout=timeout_ms)
        self.page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=timeout_ms)
        self.accept_dialogs()

    def kernel_status(self) -> str:
        indicator = self.page.locator(".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator")
        if indicator.count() == 0:
            return "unknown"
        return indicator.first.get_attribute("data-status") or "unknown"

    def wait_for_status(self, statuses: tuple[str, ...], timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        status = self.kernel_status()
        while status not in statuses:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel's status stayed {status!r}, not one of {statuses}"
                                   f"{self._shot()}\n{self.server.log()}")
            self.accept_dialogs()
            self.page.wait_for_timeout(100)
            status = self.kernel_status()
        return status

    def watch_status(self) -> None:
        """Records every kernel status the page shows from now on, however briefly (see `wait_for_status_seen`)."""
        self.page.evaluate("""(selector) => {
            const seen = window.tinyfitKernelStatuses = [];
            const record = () => {
                const indicator = document.querySelector(selector);
                const status = indicator ? indicator.getAttribute("data-status") : "unknown";
                if (seen[seen.length - 1] !== status) seen.push(status);
            };
            record();
            new MutationObserver(record).observe(document.body,
                {subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"]});
        }""", ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")

    def wait_for_status_seen(self, statuses: tuple[str, ...], timeout: float = 60.0) -> list[str]:
        """Waits until the page has shown one of `statuses` since `watch_status`; returns the statuses shown.

        A restarted kernel can be idle again within a second, between two looks at the page; the
        page's own record keeps the statuses it passed through.
        """
        deadline = time.monotonic() + timeout
        seen = self.page.evaluate("window.tinyfitKernelStatuses")
        while not set(seen) & set(statuses):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel's status was only {seen}, never one of {statuses}"
                                   f"{self._shot()}\n{self.server.log()}")
            self.accept_dialogs()
            self.page.wait_for_timeout(100)
            seen = self.page.evaluate("window.tinyfitKernelStatuses")
        return seen

    def _shot(self) -> str:
        """Takes a screenshot next to the server's log, for a timeout's message."""
        path = self.server.log_path.with_name(f"timeout_{self.name}_{time.monotonic_ns()}.png")
        self.page.screenshot(path=str(path))
        return f" (screenshot: {path})"

    def accept_dialogs(self) -> list[str]:
        """Accepts every open dialog (as a student clicks its main button); returns their titles."""
        titles = []
        dialogs = self.page.locator(".jp-Dialog")
        while dialogs.count():
            dialog = dialogs.first
            titles.append(dialog.locator(".jp-Dialog-header").inner_text().strip())
            dialog.locator("button.jp-mod-accept").first.click()
            self.page.wait_for_timeout(200)
        return titles

    def menu(self, title: str, command: str) -> None:
        """Clicks a menu bar title, then the item of that menu running `command` (a JupyterLab command id)."""
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{title}$")).click()
        self.page.locator(f'.lm-Menu-item[data-command="{command}"]').click()

    def run_all(self, tries: int = 3) -> None:
        """Run > Run All Cells, until the cell's prompt says it runs ("[*]") or has run."""
        prompt = self.page.locator(".jp-NotebookPanel .jp-Cell .jp-InputPrompt").first
        for _ in range(tries):
            # Right after the kernel is first idle, the notebook may not yet be the current widget
            # that Run acts on; a click on the cell makes it so, as a student's first click does.
            prompt.click()
            self.menu("Run", "runmenu:run-all")
            for _ in range(30):
                if re.search(r"\[(\*|\d+)\]", prompt.inner_text()):
                    return
                self.page.wait_for_timeout(100)
        raise TimeoutError(f"Run All Cells did not start the cell in {tries} tries{self._shot()}")

    def output_text(self) -> str:
        outputs = self.page.locator(".jp-NotebookPanel .jp-Cell").first.locator(".jp-OutputArea")
        return outputs.first.inner_text() if outputs.count() else ""

    def wait_for_output(self, *texts: str, timeout: float = 60.0) -> str:
        """Waits until the first cell's output shows one of `texts`; returns all it shows."""
        deadline = time.monotonic() + timeout
        shown = self.output_text()
        while not any(text in shown for text in texts):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cell's output never showed {' or '.join(map(repr, texts))}{self._shot()};"
                                   f" it shows:\n{shown}")
            self.page.wait_for_timeout(100)
            shown = self.output_text()
        return shown

    def restart_kernel(self) -> None:
        """Kernel menu > Restart Kernel…, then the dialog's Restart button."""
        self.menu("Kernel", "kernelmenu:restart")
        self.page.locator(".jp-Dialog button.jp-mod-accept", has_text="Restart").click()

    def save(self, path: Path, timeout: float = 30.0) -> None:
        """File > Save Notebook, accepting any dialog, until the file on disk changes and its tab is not dirty."""
        before = path.stat().st_mtime_ns
        self.menu("File", "docmanager:save")
        deadline = time.monotonic() + timeout
        while path.stat().st_mtime_ns == before or self.page.locator(".jp-mod-dirty").count():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path.name} was not saved in {timeout:.0f}s")
            self.accept_dialogs()
            self.page.wait_for_timeout(100)
