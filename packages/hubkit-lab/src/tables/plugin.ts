/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Kernel } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { TableWidget } from './grid';
import { TABLE_MIME } from './model';

/**
 * Interactive tables: outputs of type application/vnd.hubkit.table+json (DataFrames, SQL
 * results) render as a table that asks the notebook's kernel for pages, summaries, code and
 * exports.
 */
export const tablesPlugin: JupyterFrontEndPlugin<void> = {
  id: '@hubkit/lab:tables',
  description: 'DataFrames as interactive tables: paged, sorted and filtered in the kernel.',
  autoStart: true,
  requires: [IRenderMimeRegistry, INotebookTracker],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    tracker: INotebookTracker,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    // The kernel of the notebook an output is shown in
    const kernelOf = (node: HTMLElement): Kernel.IKernelConnection | null => {
      const panel = tracker.find(p => p.node.contains(node));
      return panel?.sessionContext.session?.kernel ?? null;
    };
    // A code cell below the cell whose output holds `node`, made active
    const insertBelow = (node: HTMLElement, code: string): void => {
      const notebook = tracker.find(p => p.node.contains(node))?.content;
      const index = notebook?.widgets.findIndex(c => c.node.contains(node)) ?? -1;
      if (!notebook?.model || index < 0) {
        return;
      }
      notebook.model.sharedModel.insertCell(index + 1, { cell_type: 'code', source: code });
      notebook.activeCellIndex = index + 1;
      notebook.mode = 'command';
      notebook.scrollToItem(index + 1);
    };
    rendermime.addFactory(
      {
        safe: true,
        mimeTypes: [TABLE_MIME],
        defaultRank: 20, // before HTML (50) and plain text
        createRenderer: () => new TableWidget(kernelOf, trans, rendermime, insertBelow)
      },
      20
    );
  }
};
