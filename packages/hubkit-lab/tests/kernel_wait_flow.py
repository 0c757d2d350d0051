"""A cell run before the notebook's kernel is there, in headless Chromium, against a running
JupyterLab whose session creation is slow: open the notebook, press Shift+Enter on its first
cell while the status bar still says "Initializing", and watch the cell wait ([*]) and then
run once the kernel has come.

Run by test_cell_executor.py with a Python that has Playwright; by hand:

    python kernel_wait_flow.py URL TOKEN --notebook slow.ipynb --screenshots /tmp/shots

Prints one JSON line: the steps that passed, what the page showed, and the first failure.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import sys

from browser_flow import chromium_page, flow_parser, report, start_flow

PROMPT = ".jp-Notebook .jp-Cell .jp-InputArea-prompt"
# The status bar's kernel item: "<kernel> | <status>"
KERNEL_STATUS = """() => (document.querySelector('#jp-main-statusbar')?.innerText ?? '')
  .split('\\n').find(line => line.includes(' | ')) ?? ''"""


def run(args: argparse.Namespace) -> dict:
    base, token, result, shot = start_flow(args, "kernel-wait-")
    steps, seen = result["steps"], result["seen"]
    with chromium_page(result, shot) as page:
        page.goto(f"{base}/lab/tree/{args.notebook}?token={token}&reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content")
        seen["status_at_press"] = page.evaluate(KERNEL_STATUS)
        page.click(".jp-Notebook .jp-Cell .cm-content")
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(500)
        seen["prompt_while_waiting"] = page.inner_text(PROMPT)
        seen["status_while_waiting"] = page.evaluate(KERNEL_STATUS)
        shot(page, "waiting")
        steps.append("pressed")
        page.wait_for_selector(".jp-OutputArea-output:has-text('42')", timeout=90_000)
        page.wait_for_function(
            "(p) => document.querySelector(p)?.textContent === '[1]:'", arg=PROMPT
        )
        seen["output"] = page.inner_text(".jp-OutputArea-output")
        seen["prompt"] = page.inner_text(PROMPT)
        steps.append("ran")
    return result


def main() -> int:
    return report(run, flow_parser("slow.ipynb").parse_args())


if __name__ == "__main__":
    sys.exit(main())
