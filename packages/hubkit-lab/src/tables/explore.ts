/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { TranslationBundle } from '@jupyterlab/translation';

import { IColumn } from './model';

/**
 * A field of Graphic Walker (the subset of its IMutField the explorer gives).
 */
export interface IExploreField {
  fid: string;
  name: string;
  semanticType: 'quantitative' | 'temporal' | 'nominal';
  analyticType: 'measure' | 'dimension';
}

/**
 * The table's columns as Graphic Walker's fields, named by position (c0, c1, ...) as the
 * kernel's queries name them (hubkit_kernel/tables/explore.py): numbers are measures.
 */
export function exploreFields(columns: IColumn[]): IExploreField[] {
  return columns.map(column => ({
    fid: `c${column.index}`,
    name: column.name,
    semanticType:
      column.kind === 'number' ? 'quantitative' : column.kind === 'date' ? 'temporal' : 'nominal',
    analyticType: column.kind === 'number' ? 'measure' : 'dimension'
  }));
}

/**
 * The explorer panel of an interactive table: Graphic Walker over the table's filtered view as
 * it was when opened, every query answered by the kernel with DuckDB (only aggregated rows,
 * or a sample of raw rows, travel). Graphic Walker's chunk loads when the panel first opens.
 */
export class ExplorePanel {
  constructor(
    columns: IColumn[],
    private _query: (payload: unknown) => Promise<Record<string, unknown>[]>,
    private _trans: TranslationBundle
  ) {
    this.node = document.createElement('div');
    this.node.className = 'hk-Explore';
    this._status = document.createElement('div');
    this._status.className = 'hk-Explore-status';
    this._status.setAttribute('role', 'status');
    this._status.textContent = this._trans.__('Loading the explorer…');
    this._host = document.createElement('div');
    this._host.className = 'hk-Explore-walker';
    this.node.appendChild(this._status);
    this.node.appendChild(this._host);
    void this._mount(columns);
  }

  readonly node: HTMLElement;

  dispose(): void {
    this._disposed = true;
    this._unmount?.();
    this._unmount = null;
    this.node.remove();
  }

  private async _mount(columns: IColumn[]): Promise<void> {
    try {
      const { mountExplorer } = await import('./explorer');
      if (this._disposed) {
        return;
      }
      this._unmount = mountExplorer(this._host, {
        fields: exploreFields(columns),
        computation: payload => this._query(payload),
        dark: document.body.dataset.jpThemeLight === 'false',
        onError: error => this._showError(error)
      });
      this._status.textContent = this._trans.__(
        'Drag fields onto the axes; the kernel computes every chart.'
      );
    } catch (reason) {
      this._showError(reason as Error);
    }
  }

  private _showError(error: Error): void {
    this._status.textContent = error.message;
    this._status.classList.add('hk-mod-error');
  }

  private _host: HTMLElement;
  private _status: HTMLElement;
  private _disposed = false;
  private _unmount: (() => void) | null = null;
}
