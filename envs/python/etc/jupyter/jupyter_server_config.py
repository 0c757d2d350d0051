"""Server configuration that needs Python: serving precompressed lab assets, the compression
level, environment switches for fastmcp and nbconvert, the language server's command line, and
a fix for a server that does not exit while a notebook is open in a browser.

Copied into the environment's prefix (etc/jupyter), beside jupyter_server_config.json.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import contextlib
import mimetypes
import os
import queue
import stat
import sys
import threading

import jupyterlab_server.handlers
from jupyter_server.base.handlers import FileFindHandler
from tornado.web import GZipContentEncoding

c = get_config()  # noqa: F821 (injected by the config loader)


class PrecompressedFileFindHandler(FileFindHandler):
    """Sends `name.gz`, written beside `name` at install time, as it is to browsers that
    accept gzip; tornado's static handler cannot. Sends `name` itself (compressed on the fly)
    when there is no such `.gz`, when the two differ in modification time (`name` changed
    since the install), when the `.gz` is not a regular file, and for range requests.

    Written here because neither tornado nor jupyter_server offers it. The `.gz` files come
    from etc/hubkit/post-install.d/90_precompress_lab_assets.py.
    """

    packed: os.stat_result | None = None  # the `.gz` being sent, if any

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        path = super().validate_absolute_path(root, absolute_path)
        self.content_path = path
        if path is None or "Range" in self.request.headers:
            return path
        try:
            packed = os.lstat(path + ".gz")  # tornado checked `path`, not this: no link
        except OSError:
            return path
        if not stat.S_ISREG(packed.st_mode) or packed.st_mtime_ns != os.stat(path).st_mtime_ns:
            return path
        if not self.settings.get("compress_response"):  # else tornado's gzip transform adds it
            self.add_header("Vary", "Accept-Encoding")
        if "gzip" not in self.request.headers.get("Accept-Encoding", ""):
            return path
        self.packed = packed
        self.set_header("Content-Encoding", "gzip")  # tornado's gzip transform then keeps off
        return path + ".gz"

    def get_content_size(self) -> int:
        """The size sent: the `.gz`'s (tornado would give the size of the file it checked)."""
        return self.packed.st_size if self.packed else super().get_content_size()

    def get_content_type(self) -> str:
        """The type of the file, not of its `.gz`."""
        if not self.packed:
            return super().get_content_type()
        return mimetypes.guess_type(self.content_path)[0] or "application/octet-stream"


# A page load asks for about 160 scripts (14 MB) from two routes: /static/lab (JupyterLab's
# own, through the documented static_handler_class setting) and /lab/extensions, whose handler
# jupyterlab_server names itself when it adds its routes, after this file is read. A plain dict:
# jupyterhub-singleuser 6.1.1 cannot read a merged one (`.update()`); a tornado_settings set in
# a later config file replaces it, so copy these two keys there.
c.ServerApp.tornado_settings = {
    "compress_response": True,
    "static_handler_class": PrecompressedFileFindHandler,
}
jupyterlab_server.handlers.FileFindHandler = PrecompressedFileFindHandler

# Other responses (settings, translations, API answers) are compressed as they are sent, on the
# server's only thread, by tornado at level 6; level 4 takes half the time for about 4 % more
# bytes (benchmarks/lab_overhead.py prints the bytes on the wire).
GZipContentEncoding.GZIP_LEVEL = 4

# jupyter-ai's MCP server (jupyter_server_mcp; off, see catalog.yaml), when turned on, logs
# fastmcp's banner, which asks PyPI for a newer fastmcp at every server start: an outbound
# request per spawn and an "Update available" hint users cannot act on. fastmcp reads this when
# it is imported, after this file is loaded.
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")

# JupyterLab asks for the list of export formats whenever a notebook opens; nbconvert then
# instantiates every exporter twice, scanning all installed packages' entry points each time
# (0.3 CPU-s here, on the server's thread pool). This documented switch skips the first round,
# which only matters for exporters turned off in config (none are).
os.environ.setdefault("NBCONVERT_DISABLE_CONFIG_EXPORTERS", "1")

# pylsp's "preload" plugin imports numpy, pandas, scipy, sklearn, matplotlib and 40 more modules
# when a notebook opens (about 210 MB per user server, before anyone asks for a completion);
# jupyterlab-lsp sends no initializationOptions, so it cannot be switched off by settings.
# Emptying its list keeps every other plugin; completions still work (jedi imports what it
# needs when it is asked). Measured: pylsp idle 257 MB -> 50 MB (benchmarks/lab_overhead.py).
# It starts when a notebook opens, beside the new kernel: at a lower CPU priority (nice 10) it
# takes what the kernel, the server and the browser leave, so the notebook is usable sooner.
PYLSP_WITHOUT_PRELOAD = (
    "import os; os.nice(10); "
    "import pylsp.plugins.preload_imports as p; p.MODULES.clear(); "
    "from pylsp.__main__ import main; main()"
)
try:
    from jupyter_lsp.specs.python_lsp_server import PythonLSPServer
except ImportError:  # no jupyter-lsp in this prefix: nothing to configure
    PythonLSPServer = None
if PythonLSPServer is not None:
    pylsp = PythonLSPServer()(None)["pylsp"]
    if pylsp["argv"]:  # pylsp is installed in this prefix
        pylsp["argv"] = [sys.executable, "-c", PYLSP_WITHOUT_PRELOAD]
        c.LanguageServerManager.language_servers = {"pylsp": pylsp}


# A server stopped while a notebook is open in a browser never exits: jupyter-collaboration's
# document rooms keep the tasks that own AnyIO's worker threads alive, the server's loop stops
# around them, and the interpreter then waits forever for those (non-daemon) threads. The hub
# gives up after its timeouts and kills it: "Stop My Server" and the idle culler took 60 s
# instead of 1 (jupyterlab/jupyter-collaboration#161 and #503; the fix, PR #546, is not
# released in jupyter-collaboration 5.0.4). AnyIO stops a worker with its `stop()`: call it
# for each worker when the interpreter exits, just before it joins the threads (a private hook
# of threading, the one concurrent.futures uses). Drop this once a release includes the fix
# (tests/lab/test_browser.py stops a server with its notebook open).
def stop_anyio_workers() -> None:
    for thread in threading.enumerate():
        if thread.name == "AnyIO worker thread" and hasattr(thread, "stop"):
            with contextlib.suppress(queue.Full):  # a busy worker: it ends with its job
                thread.stop()


threading._register_atexit(stop_anyio_workers)
