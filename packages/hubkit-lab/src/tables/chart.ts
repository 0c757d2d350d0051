/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { createSelect } from '../sqlcells';
import { IColumn } from './model';

/**
 * The MIME type of a plotly figure, rendered by plotly's own JupyterLab extension.
 */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/**
 * What the kernel answers for a chart (hubkit_kernel/tables/charts.py).
 */
export interface IChartReply {
  figure: Record<string, unknown>;
  code: string | null;
  rows: number;
  sampled: boolean;
}

/**
 * What the user chose: column numbers, or null.
 */
export interface IChartSpec {
  kind: string;
  x: number | null;
  y: number | null;
  color: number | null;
  agg: string;
}

const KINDS = ['bar', 'line', 'scatter', 'histogram', 'box', 'heatmap'];
const AGGREGATIONS = ['none', 'count', 'sum', 'mean', 'min', 'max'];

/**
 * The chart panel of an interactive table: chart type, x, y, color and aggregation; the
 * kernel aggregates the table's filtered view and answers a plotly figure (drawn by plotly's
 * renderer) and the same chart as code, which "Insert as code" puts in a cell below.
 */
export class ChartPanel {
  constructor(
    private _columns: IColumn[],
    private _draw: (spec: IChartSpec) => Promise<IChartReply>,
    private _insert: (code: string) => void,
    private _rendermime: IRenderMimeRegistry,
    private _trans: TranslationBundle
  ) {
    const trans = this._trans;
    this.node = document.createElement('div');
    this.node.className = 'hk-Chart';
    const form = document.createElement('div');
    form.className = 'hk-Chart-form';
    // First a count of rows per value of the first text column: valid for any table
    const text = this._columns.find(c => c.kind === 'text' || c.kind === 'bool');
    const x = (text ?? this._columns[0])?.index ?? null;
    const y = this._columns.find(c => c.kind === 'number' && c.index !== x)?.index ?? null;
    this._kind = this._select(form, trans.__('Chart'), 'kind', KINDS.map(k => [k, k]), 'bar');
    this._x = this._columnSelect(form, 'x', x, false);
    this._y = this._columnSelect(form, 'y', y, true);
    this._color = this._columnSelect(form, trans.__('color'), null, true);
    this._agg = this._select(
      form,
      trans.__('aggregation'),
      'agg',
      AGGREGATIONS.map(a => [a, a]),
      'count'
    );
    this._insertButton = document.createElement('button');
    this._insertButton.className = 'hk-Chart-insert jp-Button jp-mod-styled jp-mod-accept';
    this._insertButton.type = 'button';
    this._insertButton.textContent = trans.__('Insert as code');
    this._insertButton.title = trans.__('Write this chart as a Python cell below');
    this._insertButton.disabled = true;
    this._insertButton.addEventListener('click', () => {
      if (this._code) {
        this._insert(this._code);
      }
    });
    form.appendChild(this._insertButton);
    this.node.appendChild(form);
    this._status = document.createElement('div');
    this._status.className = 'hk-Chart-status';
    this._status.setAttribute('role', 'status');
    this.node.appendChild(this._status);
    this._plot = document.createElement('div');
    this._plot.className = 'hk-Chart-plot';
    this.node.appendChild(this._plot);
  }

  readonly node: HTMLElement;

  /**
   * Draw the chart of the current choices (again: after the table's filters changed).
   */
  async refresh(): Promise<void> {
    const spec: IChartSpec = {
      kind: this._kind.value,
      x: this._number(this._x),
      y: this._number(this._y),
      color: this._number(this._color),
      agg: this._agg.value
    };
    const request = ++this._request;
    this.node.classList.add('hk-mod-loading');
    this._status.classList.remove('hk-mod-error');
    this._status.textContent = this._trans.__('Drawing…');
    try {
      const reply = await this._draw(spec);
      if (request !== this._request) {
        return;
      }
      this._code = reply.code;
      this._insertButton.disabled = !reply.code;
      this._status.textContent = reply.sampled
        ? this._trans.__('A random sample of %1 rows', reply.rows.toLocaleString('en-US'))
        : this._trans.__('%1 points', reply.rows.toLocaleString('en-US'));
      await this._render(reply.figure);
    } catch (reason) {
      if (request === this._request) {
        this._code = null;
        this._insertButton.disabled = true;
        this._status.textContent = (reason as Error).message;
        this._status.classList.add('hk-mod-error');
      }
    } finally {
      if (request === this._request) {
        this.node.classList.remove('hk-mod-loading');
      }
    }
  }

  dispose(): void {
    this._renderer?.dispose();
    this._renderer = null;
    this.node.remove();
  }

  private async _render(figure: Record<string, unknown>): Promise<void> {
    if (this._renderer) {
      Widget.detach(this._renderer);
      this._renderer.dispose();
    }
    if (!this._rendermime.mimeTypes.includes(PLOTLY_MIME)) {
      throw new Error(this._trans.__('No plotly renderer is installed in this JupyterLab'));
    }
    this._renderer = this._rendermime.createRenderer(PLOTLY_MIME);
    Widget.attach(this._renderer, this._plot);
    await this._renderer.renderModel(new MimeModel({ data: { [PLOTLY_MIME]: figure as any } }));
  }

  private _select(
    form: HTMLElement,
    label: string,
    name: string,
    options: [string, string][],
    value: string
  ): HTMLSelectElement {
    const field = document.createElement('label');
    field.className = `hk-Chart-field hk-Chart-${name}`;
    field.textContent = label;
    const { node, select } = createSelect('hk-Chart-select', options, value);
    select.addEventListener('change', () => void this.refresh());
    field.appendChild(node);
    form.appendChild(field);
    return select;
  }

  private _columnSelect(
    form: HTMLElement,
    label: string,
    value: number | null,
    optional: boolean
  ): HTMLSelectElement {
    const options: [string, string][] = optional ? [['', '\u2014']] : [];
    for (const column of this._columns) {
      options.push([String(column.index), column.name]);
    }
    const name = label === 'x' || label === 'y' ? label : 'color';
    return this._select(form, label, name, options, value === null ? '' : String(value));
  }

  private _number(select: HTMLSelectElement): number | null {
    return select.value === '' ? null : Number(select.value);
  }

  private _kind: HTMLSelectElement;
  private _x: HTMLSelectElement;
  private _y: HTMLSelectElement;
  private _color: HTMLSelectElement;
  private _agg: HTMLSelectElement;
  private _insertButton: HTMLButtonElement;
  private _status: HTMLElement;
  private _plot: HTMLElement;
  private _code: string | null = null;
  private _request = 0;
  private _renderer: IRenderMime.IRenderer | null = null;
}
