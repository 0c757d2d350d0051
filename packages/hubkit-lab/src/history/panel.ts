/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { Time } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { DiffView } from '../ai/diff';
import { el } from '../dom';
import { requestAPI } from '../request';

/**
 * A clock with a back arrow, for the panel's tab and the toolbar button.
 */
export const historyIcon = new LabIcon({
  name: 'hubkit:history',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">' +
    '<path class="jp-icon3" fill="#616161" d="M13 3a9 9 0 0 0-9 9H1l3.9 3.9L9 12H6a7 7 0 1 1 ' +
    '2.05 4.95l-1.42 1.42A9 9 0 1 0 13 3zm-1 5v5l4.25 2.52.77-1.28-3.52-2.09V8H12z"/></svg>'
});

/**
 * A checkpoint as the server lists it (hubkit_lab/history.py).
 */
export interface ICheckpoint {
  id: string;
  name: string;
  kind: 'save' | 'named';
  author: { username: string; display_name: string } | null;
  created: string;
}

interface ICellSide {
  index: number;
  id: string | null;
  cell_type: string;
  source: string;
}

/**
 * One row of a comparison: a cell of the checkpoint and of the current notebook, aligned.
 */
interface IRow {
  kind: 'unchanged' | 'modified' | 'removed' | 'added';
  changed?: string[];
  old: ICellSide | null;
  new: ICellSide | null;
}

/**
 * Calls to the history API for one notebook.
 */
export function historyAPI<T>(path: string, body?: Record<string, unknown>): Promise<T> {
  const endPoint = `history?path=${encodeURIComponent(path)}`;
  return requestAPI<T>(
    endPoint,
    body ? { method: 'POST', body: JSON.stringify(body) } : {}
  );
}

export interface IHistoryContext {
  trans: TranslationBundle;
  /** Ask for a name and create a checkpoint of the notebook */
  create: () => Promise<void>;
  /** Confirm restoring the whole notebook */
  confirmRestore: (checkpoint: ICheckpoint) => Promise<boolean>;
  onError: (title: string, error: unknown) => void;
}

/**
 * The right sidebar's History panel: the current notebook's checkpoints (named ones and those
 * made on save) with who made them and when; for each, a comparison with the notebook as it
 * is now, cell by cell, and restoring the whole notebook or one cell.
 */
export class HistoryPanel extends Widget {
  constructor(context: IHistoryContext) {
    super();
    this._context = context;
    this.id = 'hubkit-history';
    this.addClass('hk-History');
    this.title.icon = historyIcon;
    this.title.caption = context.trans.__('History');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', context.trans.__('History'));
  }

  set notebook(panel: NotebookPanel | null) {
    if (panel === this._notebook) {
      return;
    }
    this._notebook = panel;
    this._checkpoints = [];
    this._open = null;
    this._rows = null;
    void this.refresh();
  }

  get notebook(): NotebookPanel | null {
    return this._notebook;
  }

  /**
   * Load the notebook's checkpoints (and the open comparison) again.
   */
  async refresh(): Promise<void> {
    const panel = this._notebook;
    if (!panel || !this.isVisible) {
      this._render();
      return;
    }
    try {
      await panel.context.ready;
      const path = panel.context.path;
      const { checkpoints } = await historyAPI<{ checkpoints: ICheckpoint[] }>(path);
      if (panel !== this._notebook) {
        return;
      }
      this._checkpoints = checkpoints;
      if (this._open && checkpoints.some(c => c.id === this._open)) {
        await this._compare(this._open);
        return;
      }
      this._open = null;
      this._rows = null;
    } catch (error) {
      this._context.onError(this._context.trans.__('History not loaded'), error);
    }
    this._render();
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  private async _compare(id: string): Promise<void> {
    const panel = this._notebook!;
    this._open = id;
    const { cells } = await historyAPI<{ cells: IRow[] }>(panel.context.path, {
      action: 'diff',
      id
    });
    this._rows = cells;
    this._render();
  }

  private async _restore(checkpoint: ICheckpoint, cellId?: string): Promise<void> {
    const panel = this._notebook;
    if (!panel) {
      return;
    }
    if (!cellId && !(await this._context.confirmRestore(checkpoint))) {
      return;
    }
    try {
      await historyAPI(panel.context.path, {
        action: 'restore',
        id: checkpoint.id,
        cell_id: cellId ?? null
      });
      await this.refresh();
    } catch (error) {
      this._context.onError(this._context.trans.__('Not restored'), error);
    }
  }

  private _render(): void {
    const trans = this._context.trans;
    const nodes: HTMLElement[] = [el('h2', 'hk-History-title', trans.__('History'))];
    const panel = this._notebook;
    if (!panel) {
      nodes.push(el('p', 'hk-History-empty', trans.__('Open a notebook to see its history.')));
      this.node.replaceChildren(...nodes);
      return;
    }
    const create = el('button', 'jp-mod-styled jp-mod-accept hk-History-create');
    create.textContent = trans.__('Create Checkpoint…');
    create.addEventListener('click', () => void this._context.create());
    nodes.push(el('div', 'hk-History-file', panel.context.path), create);
    if (!this._checkpoints.length) {
      nodes.push(
        el(
          'p',
          'hk-History-empty',
          trans.__('No checkpoints yet: saving makes one, or create one with a name.')
        )
      );
    }
    const list = el('ol', 'hk-History-list');
    for (const checkpoint of this._checkpoints) {
      list.append(this._item(checkpoint));
    }
    nodes.push(list);
    this.node.replaceChildren(...nodes);
  }

  private _item(checkpoint: ICheckpoint): HTMLElement {
    const trans = this._context.trans;
    const item = el('li', 'hk-Checkpoint');
    item.dataset.id = checkpoint.id;
    item.classList.toggle('hk-mod-named', checkpoint.kind === 'named');
    const open = this._open === checkpoint.id;
    item.classList.toggle('hk-mod-open', open);
    const name = checkpoint.name || trans.__('Saved');
    const who = checkpoint.author?.display_name || checkpoint.author?.username || '';
    const when = new Date(checkpoint.created);
    const time = el('time', 'hk-Checkpoint-time', Time.formatHuman(when));
    time.dateTime = checkpoint.created;
    time.title = Time.format(when);
    const byline = el('div', 'hk-Checkpoint-byline');
    if (who) {
      byline.append(el('span', 'hk-Checkpoint-author', who), document.createTextNode(' · '));
    }
    byline.append(time);
    const compare = el(
      'button',
      'jp-mod-styled hk-Checkpoint-compare',
      open ? trans.__('Hide changes') : trans.__('Compare')
    );
    compare.addEventListener('click', () => {
      if (open) {
        this._open = null;
        this._rows = null;
        this._render();
        return;
      }
      this._compare(checkpoint.id).catch(error =>
        this._context.onError(trans.__('No comparison'), error)
      );
    });
    const restore = el('button', 'jp-mod-styled hk-Checkpoint-restore', trans.__('Restore'));
    restore.title = trans.__('Restore the whole notebook to this checkpoint');
    restore.addEventListener('click', () => void this._restore(checkpoint));
    const actions = el('div', 'hk-Checkpoint-actions');
    actions.append(compare, restore);
    item.append(el('div', 'hk-Checkpoint-name', name), byline, actions);
    if (open && this._rows) {
      item.append(this._diff(checkpoint, this._rows));
    }
    return item;
  }

  /**
   * The comparison: changed, removed and added cells with their source's line diff; unchanged
   * cells as a count.
   */
  private _diff(checkpoint: ICheckpoint, rows: IRow[]): HTMLElement {
    const trans = this._context.trans;
    const node = el('div', 'hk-HistoryDiff');
    const changed = rows.filter(r => r.kind !== 'unchanged');
    node.append(
      el(
        'div',
        'hk-HistoryDiff-summary',
        changed.length
          ? trans._n(
              '%1 cell differs from the notebook now',
              '%1 cells differ from the notebook now',
              changed.length
            )
          : trans.__('The notebook now is the same as this checkpoint.')
      )
    );
    let same = 0;
    const flushSame = () => {
      if (same) {
        node.append(
          el('div', 'hk-HistoryDiff-same', trans._n('%1 unchanged cell', '%1 unchanged cells', same))
        );
        same = 0;
      }
    };
    const labels = { old: trans.__('then'), new: trans.__('now') };
    for (const row of rows) {
      if (row.kind === 'unchanged') {
        same++;
        continue;
      }
      flushSame();
      const cell = el('section', `hk-HistoryCell hk-mod-${row.kind}`);
      const side = (row.new ?? row.old)!;
      const what = {
        modified: trans.__('Cell %1 changed', side.index + 1),
        removed: trans.__('Cell %1 deleted since', row.old!.index + 1),
        added: trans.__('Cell %1 added since', side.index + 1)
      }[row.kind];
      const head = el('div', 'hk-HistoryCell-head');
      head.append(el('span', 'hk-HistoryCell-label', `${what} · ${side.cell_type}`));
      if (row.kind === 'modified' && row.changed && !row.changed.includes('source')) {
        head.append(
          el('span', 'hk-HistoryCell-parts', trans.__('(%1)', row.changed.join(', ')))
        );
      }
      const oldId = row.old?.id;
      if (oldId && row.kind !== 'added') {
        const button = el('button', 'jp-mod-styled hk-HistoryCell-restore', trans.__('Restore cell'));
        button.dataset.cell = oldId;
        button.title = trans.__('Put this cell back as it was at the checkpoint');
        button.addEventListener('click', () => void this._restore(checkpoint, oldId));
        head.append(button);
      }
      cell.append(head);
      const view = new DiffView(row.old?.source ?? '', row.new?.source ?? '', labels);
      cell.append(view.node);
      node.append(cell);
    }
    flushSame();
    return node;
  }

  private _context: IHistoryContext;
  private _notebook: NotebookPanel | null = null;
  private _checkpoints: ICheckpoint[] = [];
  private _open: string | null = null;
  private _rows: IRow[] | null = null;
}
