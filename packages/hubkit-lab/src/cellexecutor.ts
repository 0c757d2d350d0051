/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISessionContext } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { INotebookCellExecutor, runCell } from '@jupyterlab/notebook';

/**
 * How long a cell run waits for the notebook's kernel to come before JupyterLab's own
 * handling (which offers to pick a kernel) takes over.
 */
const KERNEL_WAIT_MS = 120_000;

/**
 * Resolve once the session has a kernel, or is no longer about to get one.
 */
export async function kernelStarted(
  context: ISessionContext,
  timeout = KERNEL_WAIT_MS
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (
    context.kernelDisplayStatus === 'initializing' &&
    !context.isDisposed &&
    Date.now() < deadline
  ) {
    await new Promise<void>(resolve => {
      const done = () => {
        clearTimeout(timer);
        context.statusChanged.disconnect(done);
        context.kernelChanged.disconnect(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      context.statusChanged.connect(done);
      context.kernelChanged.connect(done);
    });
  }
}

/**
 * JupyterLab's cell executor, but a run waits for the kernel that is on its way.
 *
 * JupyterLab 4.6's `runCell` drops a run silently while a new notebook's session is still
 * being created (the status bar's "No Kernel | Initializing"): it clears the cell and moves
 * on, so a Shift+Enter pressed in the first moments after opening a notebook on a busy
 * server runs nothing. Nothing upstream waits for it yet, so this wraps `runCell`.
 * jupyter-docprovider replaces the default executor with its own, which is `runCell` unless
 * server-side execution is on; package.json disables it in favour of this one, so the
 * hub's servers must not turn server-side execution on (they do not).
 */
export const cellExecutorPlugin: JupyterFrontEndPlugin<INotebookCellExecutor> = {
  id: '@hubkit/lab:cell-executor',
  description: 'Runs notebook cells once the kernel being started is there.',
  autoStart: true,
  provides: INotebookCellExecutor,
  activate: (): INotebookCellExecutor =>
    Object.freeze({
      async runCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
        const context = options.sessionContext;
        if (context?.kernelDisplayStatus === 'initializing' && options.cell instanceof CodeCell) {
          options.cell.setPrompt('*'); // queued, as a cell waiting for a busy kernel shows
          await kernelStarted(context);
        }
        return runCell(options);
      }
    })
};
