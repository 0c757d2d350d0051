/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';
import { Cell, ICellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { requestAPI } from '../request';
import { threadsOf } from './model';
import { commentIcon, CommentsPanel, IPerson } from './panel';

const PLUGIN_ID = '@hubkit/lab:comments';
const COMMENT_CELL = 'hubkit:comment-cell';
const INDICATOR_CLASS = 'hk-CommentIndicator';

/**
 * The indicator on a cell with comments: how many threads are open (all resolved: dimmed).
 */
function updateIndicator(cell: Cell, onClick: (cell: Cell) => void, label: (n: number) => string): void {
  const threads = threadsOf(cell.model);
  let node = cell.node.querySelector<HTMLButtonElement>(`:scope > .${INDICATOR_CLASS}`);
  if (!threads.length) {
    node?.remove();
    return;
  }
  if (!node) {
    node = document.createElement('button');
    node.className = INDICATOR_CLASS;
    node.addEventListener('click', event => {
      event.stopPropagation();
      onClick(cell);
    });
    cell.node.appendChild(node);
  }
  const open = threads.filter(t => !t.resolved).length;
  node.classList.toggle('hk-mod-resolved', open === 0);
  node.replaceChildren(
    commentIcon.element({ tag: 'span', className: 'hk-CommentIndicator-icon' }),
    document.createTextNode(String(open || threads.length))
  );
  node.title = label(open);
}

/**
 * Comments on cells: threads with replies, resolve and reopen, @mentions; a panel in the
 * right sidebar and an indicator on each commented cell. Stored in the notebook's shared model
 * (comments/model.ts), so collaborators see them live.
 */
export const commentsPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Comment threads on notebook cells, shared with collaborators.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    translator: ITranslator | null
  ): Promise<void> => {
    const trans = (translator ?? nullTranslator).load('hubkit');
    const user = app.serviceManager.user;
    let people: Promise<IPerson[]> | null = null;
    const panel = new CommentsPanel({
      trans,
      me: () => {
        const identity = user.identity;
        if (!identity) {
          throw new Error(trans.__('Your identity is not known yet; try again in a moment.'));
        }
        return {
          name: identity.username,
          display_name: identity.display_name || identity.name || identity.username,
          color: identity.color || null
        };
      },
      people: () =>
        (people ??= requestAPI<{ people: IPerson[] }>('people').then(r => r.people)),
      onError: error => void showErrorMessage(trans.__('Comment not saved'), String(error))
    });
    app.shell.add(panel, 'right', { rank: 650 });
    void panel.loadPeople();

    const reveal = (notebook: NotebookPanel, cell: Cell) => {
      panel.notebook = notebook;
      app.shell.activateById(panel.id);
      panel.reveal(cell);
    };
    const indicatorLabel = (open: number) =>
      open
        ? trans._n('%1 open comment thread', '%1 open comment threads', open)
        : trans.__('Comments (all resolved)');

    // One redraw per notebook for a burst of changes (a timer, not a frame: frames stop in
    // hidden tabs, and a hidden tab's indicators must be current when it shows).
    const pending = new Set<NotebookPanel>();
    const schedule = (notebook: NotebookPanel) => {
      if (pending.has(notebook)) {
        return;
      }
      pending.add(notebook);
      window.setTimeout(() => {
        pending.delete(notebook);
        if (notebook.isDisposed) {
          return;
        }
        for (const cell of notebook.content.widgets) {
          updateIndicator(cell, c => reveal(notebook, c), indicatorLabel);
        }
        if (panel.notebook === notebook) {
          panel.render();
        }
      }, 0);
    };

    const watched = new WeakSet<ICellModel>();
    const track = (notebook: NotebookPanel) => {
      const watchCells = () => {
        const cells = notebook.model?.cells;
        if (!cells) {
          return;
        }
        for (let i = 0; i < cells.length; i++) {
          const model = cells.get(i);
          if (!watched.has(model)) {
            watched.add(model);
            model.metadataChanged.connect(() => schedule(notebook));
          }
        }
        schedule(notebook);
      };
      void notebook.context.ready.then(() => {
        watchCells();
        notebook.model?.cells.changed.connect(watchCells);
      });
      notebook.content.activeCellChanged.connect(() => {
        if (panel.notebook === notebook) {
          schedule(notebook);
        }
      });
    };
    tracker.widgetAdded.connect((_, notebook) => track(notebook));
    tracker.forEach(track);
    tracker.currentChanged.connect((_, notebook) => {
      panel.notebook = notebook;
    });
    panel.notebook = tracker.currentWidget;

    app.commands.addCommand(COMMENT_CELL, {
      label: trans.__('Comment on Cell'),
      caption: trans.__('Start a comment thread on the active cell'),
      icon: commentIcon,
      isEnabled: () => tracker.activeCell !== null,
      execute: () => {
        const notebook = tracker.currentWidget;
        if (!notebook) {
          return;
        }
        panel.notebook = notebook;
        app.shell.activateById(panel.id);
        panel.node.querySelector<HTMLTextAreaElement>('textarea[data-key="new"]')?.focus();
      }
    });
    app.contextMenu.addItem({
      command: COMMENT_CELL,
      selector: '.jp-Notebook .jp-Cell',
      rank: 12
    });
  }
};
