"""The JupyterLab extension set the python environment ships (issue: foundation, item 4)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

EXTENSION_SET = {
    "@jupyter/collaboration-extension": "real-time collaboration",
    "@jupyter-ai/router": "jupyter-ai",
    "@jupyterlab/git": "jupyterlab-git",
    "@jupyter-lsp/jupyterlab-lsp": "jupyterlab-lsp",
    "jupyterlab_code_formatter": "code formatter",
    "@jupyter-server/resource-usage": "jupyter-resource-usage",
    "jupyterlab-execute-time": "execute time",
    "variable-inspector": "variable inspector",
    "@jupyterlab/scheduler": "jupyter-scheduler",
    "@jupyter-widgets/jupyterlab-manager": "ipywidgets",
}
# Sidebar panels (data-id) that prove the extensions above are active in the page.
SIDEBAR_PANELS = {
    "jp-git-sessions",
    "jp-collaboration-panel",
    "mljar-variable-inspector::mljar-left-sidebar",
    "kernelusage-panel-id",
}
