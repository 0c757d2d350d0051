"""Server configuration that needs Python and configures other packages: environment switches
for fastmcp and nbconvert, the language server's command line, and `.env` files (jupyter-ai's
keys) saved mode 600.

hubkit's own server behaviour (precompressed lab assets, response compression and its level,
a clean exit while a notebook is open) lives in the hubkit_lab server extension
(packages/hubkit-lab), configured as `c.HubkitLab.<option>`.

Copied into the environment's prefix (etc/jupyter), beside jupyter_server_config.json.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import os
import sys

c = get_config()  # noqa: F821 (injected by the config loader)

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


def private_dotenv(model, path, contents_manager, **kwargs):
    """Keep `.env` files (jupyter-ai stores a user's own API keys in the workspace's `.env`)
    readable by their owner only: made mode 600 before their contents are written.

    jupyter-ai saves it through the contents manager, which would create it with the umask's
    mode (644: readable by every account on the machine). The write keeps an existing file's
    mode, so this also tightens a `.env` made by hand."""
    if model.get("type") != "file" or os.path.basename(path) != ".env":
        return
    os_path = os.path.join(contents_manager.root_dir, path.strip("/"))
    fd = os.open(os_path, os.O_WRONLY | os.O_CREAT, 0o600)  # never truncates
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


c.FileContentsManager.pre_save_hook = private_dotenv
