/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import * as Y from 'yjs';

import { el } from '../dom';

const PLUGIN_ID = '@hubkit/lab:presence';
const JUMP_TO = 'hubkit:jump-to-collaborator';

/**
 * What jupyter-collaboration puts in a notebook's awareness for each open editor: the person
 * (the server's identity) and, from the cell editor that last had their focus, their
 * selections as Yjs relative positions in that cell's source.
 */
interface IPresence {
  user?: {
    username?: string;
    display_name?: string;
    initials?: string;
    color?: string;
  };
  cursors?: { anchor?: unknown; head?: unknown; primary?: boolean }[];
}

interface IAwareness {
  clientID: number;
  getStates(): Map<number, IPresence>;
  on(event: 'change', handler: () => void): void;
  off(event: 'change', handler: () => void): void;
}

function awarenessOf(panel: NotebookPanel): IAwareness | null {
  const shared = panel.context.model.sharedModel as unknown as {
    awareness?: IAwareness;
  };
  return shared.awareness ?? null;
}

/**
 * The other people in this notebook, one entry per person (of several tabs, one with a
 * cursor), in the order they arrived.
 */
function othersIn(awareness: IAwareness): Map<string, IPresence> {
  const people = new Map<string, IPresence>();
  const states = awareness.getStates();
  const me = states.get(awareness.clientID)?.user?.username;
  states.forEach((state, client) => {
    const name = state.user?.username;
    if (client === awareness.clientID || !name || name === me) {
      return; // oneself, also in another tab
    }
    if (!people.has(name) || state.cursors?.length) {
      people.set(name, state);
    }
  });
  return people;
}

/**
 * The index of the cell holding the person's cursor (their primary selection's head).
 */
function cellWithCursor(panel: NotebookPanel, state: IPresence): number {
  const cursor =
    state.cursors?.find(c => c.primary) ?? state.cursors?.[0] ?? null;
  const ydoc = (
    panel.context.model.sharedModel as unknown as { ydoc?: Y.Doc }
  ).ydoc;
  if (!cursor?.head || !ydoc) {
    return -1;
  }
  const position = Y.createAbsolutePositionFromRelativePosition(
    Y.createRelativePositionFromJSON(cursor.head),
    ydoc
  );
  if (!position) {
    return -1; // the cell was deleted since
  }
  return panel.content.widgets.findIndex(
    cell =>
      (cell.model.sharedModel as unknown as { ysource?: Y.AbstractType<any> })
        .ysource === position.type
  );
}

/**
 * Scroll the notebook to the cell with the person's cursor and select it; say so when they
 * have no cursor here (yet, or no longer).
 */
async function jumpTo(
  panel: NotebookPanel,
  username: string,
  trans: TranslationBundle
): Promise<boolean> {
  const awareness = awarenessOf(panel);
  const state = awareness ? othersIn(awareness).get(username) : undefined;
  const name = state?.user?.display_name || username;
  const index = state ? cellWithCursor(panel, state) : -1;
  if (index < 0) {
    Notification.info(
      state
        ? trans.__('%1 has not placed a cursor in this notebook yet.', name)
        : trans.__('%1 is not in this notebook.', name),
      { autoClose: 4000 }
    );
    return false;
  }
  const notebook = panel.content;
  notebook.mode = 'command';
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  await notebook.scrollToItem(index, 'center');
  notebook.activeCell?.node.focus();
  return true;
}

/**
 * The people in this notebook, at the right of its toolbar: initials on their colour; a click
 * jumps to the cell where that person's cursor is.
 */
class PresenceBar extends Widget {
  constructor(
    private readonly _awareness: IAwareness,
    private readonly _trans: TranslationBundle,
    private readonly _onJump: (username: string) => void
  ) {
    super();
    this.addClass('hk-Presence');
    this._awareness.on('change', this._render);
    this._render();
  }

  dispose(): void {
    this._awareness.off('change', this._render);
    super.dispose();
  }

  private _render = (): void => {
    const people = othersIn(this._awareness);
    // Cursor moves change the awareness often: redraw only when who is here changed.
    const key = [...people]
      .map(([name, s]) => `${name}|${s.user?.display_name}|${s.user?.color}`)
      .join(',');
    if (key === this._key) {
      return;
    }
    this._key = key;
    this.node.replaceChildren(
      ...[...people].map(([username, state]) => {
        const name = state.user?.display_name || username;
        const button = el('button', 'hk-Presence-person', state.user?.initials || name[0]);
        button.dataset.username = username;
        button.style.backgroundColor = state.user?.color || '';
        button.title = this._trans.__('Jump to %1', name);
        button.setAttribute('aria-label', button.title);
        button.addEventListener('click', () => this._onJump(username));
        return button;
      })
    );
    this.node.setAttribute('aria-label', this._trans.__('People in this notebook'));
    this.toggleClass('hk-mod-empty', people.size === 0);
  };

  private _key: string | null = null;
}

/**
 * "Jump to" a collaborator: the people with a notebook open show at the right of its toolbar
 * (jupyter-collaboration's panel lists who is on the server, but a click there only lists
 * their files); clicking one scrolls to and selects the cell holding their cursor. Also the
 * command `hubkit:jump-to-collaborator` with `{ username }`.
 */
export const presencePlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "Jump to a collaborator's cursor in a shared notebook.",
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    app.commands.addCommand(JUMP_TO, {
      label: args =>
        trans.__('Jump to %1', (args.username as string) || trans.__('Collaborator')),
      caption: trans.__("Select the cell where a collaborator's cursor is"),
      isEnabled: () => tracker.currentWidget !== null,
      execute: args => {
        const panel = tracker.currentWidget;
        return panel ? jumpTo(panel, args.username as string, trans) : false;
      }
    });
    tracker.widgetAdded.connect((_, panel) => {
      void panel.context.ready.then(() => {
        const awareness = awarenessOf(panel);
        if (!awareness || panel.isDisposed) {
          return; // collaboration off: nobody else can be here
        }
        const bar = new PresenceBar(awareness, trans, username =>
          void jumpTo(panel, username, trans)
        );
        panel.toolbar.insertBefore('kernelName', 'hubkitPresence', bar) ||
          panel.toolbar.addItem('hubkitPresence', bar);
        panel.disposed.connect(() => bar.dispose());
      });
    });
  }
};
