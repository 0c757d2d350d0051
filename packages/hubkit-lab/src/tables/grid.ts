/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Kernel } from '@jupyterlab/services';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TranslationBundle } from '@jupyterlab/translation';
import { filterIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { el } from '../dom';
import { ChartPanel, IChartReply } from './chart';
import { ExplorePanel } from './explore';
import {
  IColumn,
  IFilter,
  IPage,
  ISummary,
  ITableData,
  IViewState,
  TableClient,
  TABLE_MIME
} from './model';

function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', 'hk-Table-button jp-Button jp-mod-styled', label);
  b.type = 'button';
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'number' && !Number.isInteger(value)) {
    return String(Number(value.toPrecision(10)));
  }
  return String(value);
}

/**
 * A small histogram as bars (an SVG), in the theme's brand colour.
 */
function histogramSvg(counts: number[], width: number, height: number): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('class', 'hk-Table-histogram');
  const top = Math.max(1, ...counts);
  const bar = width / Math.max(1, counts.length);
  counts.forEach((n, i) => {
    const rect = document.createElementNS(ns, 'rect');
    const h = n ? Math.max(1, (height * n) / top) : 0;
    rect.setAttribute('x', String(i * bar));
    rect.setAttribute('y', String(height - h));
    rect.setAttribute('width', String(Math.max(1, bar - 1)));
    rect.setAttribute('height', String(h));
    svg.appendChild(rect);
  });
  return svg;
}

/**
 * An interactive table: the output of a DataFrame, paged, sorted, filtered and searched by
 * the kernel (only the visible rows travel), with column summaries in the header, copy as
 * code, export, compact types and a profile report.
 */
export class TableWidget extends Widget implements IRenderMime.IRenderer {
  constructor(
    private _kernelOf: (node: HTMLElement) => Kernel.IKernelConnection | null,
    private _trans: TranslationBundle,
    private _rendermime: IRenderMimeRegistry,
    private _insertBelow: (node: HTMLElement, code: string) => void
  ) {
    super();
    this.addClass('hk-Table');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[TABLE_MIME] as unknown as ITableData;
    if (this._data && this._data.id === data.id) {
      return;
    }
    this._data = data;
    this._columns = data.columns;
    this._page = data.page;
    this._state = { sort: [], filters: [], search: '' };
    this._summaries = new Map();
    this._client?.dispose();
    this._client = new TableClient(data.id, () => this._kernelOf(this.node));
    this._build();
    if (this.isAttached) {
      void this._loadSummaries();
    }
  }

  dispose(): void {
    this._chart?.dispose();
    this._explore?.dispose();
    this._client?.dispose();
    super.dispose();
  }

  protected onAfterAttach(): void {
    if (this._data && this._summaries.size === 0) {
      void this._loadSummaries();
    }
  }

  // -- building the DOM ---------------------------------------------------------------------

  private _build(): void {
    const trans = this._trans;
    const data = this._data!;
    this.node.textContent = '';
    if (data.title) {
      this.node.appendChild(el('div', 'hk-sql-summary hk-Table-title', data.title));
    }
    const toolbar = el('div', 'hk-Table-toolbar');
    const search = el('input', 'hk-Table-search');
    search.type = 'search';
    search.placeholder = trans.__('Search all columns');
    search.setAttribute('aria-label', trans.__('Search all columns'));
    let timer = 0;
    search.addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        this._state.search = search.value;
        void this._load(0).then(() => this._chart?.refresh());
      }, 300);
    });
    toolbar.appendChild(search);
    this._countNode = el('span', 'hk-Table-count');
    toolbar.appendChild(this._countNode);
    toolbar.appendChild(el('span', 'hk-Table-spacer'));

    const codeKind = el('select', 'hk-Table-codeKind');
    codeKind.setAttribute('aria-label', trans.__('Kind of code'));
    for (const kind of data.code) {
      const option = el('option', '', kind === 'sql' ? 'SQL' : kind);
      option.value = kind;
      codeKind.appendChild(option);
    }
    toolbar.appendChild(codeKind);
    toolbar.appendChild(
      button(trans.__('Copy as code'), trans.__('The sort, filters and search as code'), () =>
        this._copyCode(codeKind.value)
      )
    );

    const format = el('select', 'hk-Table-format');
    format.setAttribute('aria-label', trans.__('Export format'));
    for (const [value, label] of [
      ['csv', 'CSV'],
      ['xlsx', 'Excel'],
      ['parquet', 'Parquet'],
      ['json', 'JSON']
    ]) {
      const option = el('option', '', label);
      option.value = value;
      format.appendChild(option);
    }
    const scope = el('select', 'hk-Table-scope');
    scope.setAttribute('aria-label', trans.__('Rows to export'));
    for (const [value, label] of [
      ['view', trans.__('filtered view')],
      ['all', trans.__('whole table')]
    ]) {
      const option = el('option', '', label);
      option.value = value;
      scope.appendChild(option);
    }
    toolbar.appendChild(format);
    toolbar.appendChild(scope);
    toolbar.appendChild(
      button(trans.__('Export'), trans.__('Write a file in your home and download it'), () =>
        this._export(format.value, scope.value)
      )
    );
    if (data.compact) {
      toolbar.appendChild(
        button(
          trans.__('Compact types'),
          trans.__('Convert %1 to smaller types with equal values', data.variable ?? ''),
          () => this._compact()
        )
      );
    }
    toolbar.appendChild(
      button(trans.__('Profile'), trans.__('A full profile of every column'), () =>
        this._profile()
      )
    );
    toolbar.appendChild(
      button(trans.__('Chart'), trans.__('Chart the filtered view (computed in the kernel)'), () =>
        this._toggleChart()
      )
    );
    toolbar.appendChild(
      button(
        trans.__('Explore'),
        trans.__('Drag-and-drop charts of the filtered view (Graphic Walker, computed in the kernel)'),
        () => this._toggleExplore()
      )
    );
    this.node.appendChild(toolbar);
    this._chart?.dispose();
    this._chart = null;
    this._explore?.dispose();
    this._explore = null;
    this._chartHost = el('div', 'hk-Table-chartHost');
    this.node.appendChild(this._chartHost);

    this._message = el('div', 'hk-Table-message');
    this._message.setAttribute('role', 'status');
    this.node.appendChild(this._message);

    const scroll = el('div', 'hk-Table-scroll');
    this._table = el('table', 'hk-Table-grid');
    scroll.appendChild(this._table);
    this.node.appendChild(scroll);

    const pager = el('div', 'hk-Table-pager');
    this._prev = button('\u2039', trans.__('Previous page'), () =>
      this._load(Math.max(0, this._page!.offset - this._data!.pageSize))
    );
    this._next = button('\u203a', trans.__('Next page'), () =>
      this._load(this._page!.offset + this._data!.pageSize)
    );
    this._first = button('\u00ab', trans.__('First page'), () => this._load(0));
    this._last = button('\u00bb', trans.__('Last page'), () => {
      const size = this._data!.pageSize;
      this._load(Math.max(0, Math.floor((this._page!.count - 1) / size) * size));
    });
    this._range = el('span', 'hk-Table-range');
    pager.append(this._first, this._prev, this._range, this._next, this._last);
    this.node.appendChild(pager);

    this._popup = el('div', 'hk-Table-popup');
    this._popup.hidden = true;
    this.node.appendChild(this._popup);
    this._renderHead();
    this._renderBody();
  }

  private _renderHead(): void {
    const trans = this._trans;
    const thead = el('thead');
    const row = el('tr');
    for (const column of this._columns) {
      const th = el('th', `hk-Table-th hk-Table-kind-${column.kind}`);
      th.dataset.column = String(column.index);
      const head = el('div', 'hk-Table-head');
      const name = el('button', 'hk-Table-name', column.name);
      name.type = 'button';
      name.title = trans.__('Sort by %1 (Shift: add to the sort)', column.name);
      const sortIndex = this._state.sort.findIndex(s => s.column === column.index);
      if (sortIndex >= 0) {
        const key = this._state.sort[sortIndex];
        name.textContent += key.descending ? ' \u25bc' : ' \u25b2';
        th.setAttribute('aria-sort', key.descending ? 'descending' : 'ascending');
      }
      name.addEventListener('click', event => this._toggleSort(column.index, event.shiftKey));
      const filtered = this._state.filters.some(f => f.column === column.index);
      const filter = el('button', 'hk-Table-filterButton');
      filter.appendChild(filterIcon.element({ tag: 'span', width: '12px', height: '12px' }));
      filter.type = 'button';
      filter.title = trans.__('Filter %1', column.name);
      filter.setAttribute('aria-label', trans.__('Filter %1', column.name));
      filter.classList.toggle('hk-mod-active', filtered);
      filter.addEventListener('click', event => {
        event.stopPropagation();
        this._openFilter(column, th);
      });
      head.append(name, filter);
      th.appendChild(head);
      th.appendChild(el('div', 'hk-Table-dtype', column.dtype));
      const summary = el('button', 'hk-Table-summary');
      summary.type = 'button';
      summary.title = trans.__('Summary of %1', column.name);
      summary.setAttribute('aria-label', trans.__('Summary of %1', column.name));
      summary.addEventListener('click', event => {
        event.stopPropagation();
        this._openSummary(column, th);
      });
      this._fillSummary(summary, column);
      th.appendChild(summary);
      row.appendChild(th);
    }
    thead.appendChild(row);
    this._table.querySelector('thead')?.remove();
    this._table.prepend(thead);
  }

  private _fillSummary(node: HTMLElement, column: IColumn): void {
    const summary = this._summaries.get(column.index);
    node.textContent = '';
    if (!summary) {
      node.appendChild(el('span', 'hk-Table-summaryText', '\u2026'));
      return;
    }
    if (summary.histogram) {
      node.appendChild(histogramSvg(summary.histogram.counts, 80, 20));
    } else if (summary.top && summary.top.length) {
      const total = summary.rows || 1;
      const bars = summary.top.slice(0, 3).map(([, n]) => n);
      node.appendChild(histogramSvg(bars.concat([Math.max(0, total - bars.reduce((a, b) => a + b, 0) - summary.nulls)]), 40, 20));
    }
    const parts = [this._trans.__('%1 distinct', formatNumber(summary.distinct))];
    if (summary.nulls) {
      parts.push(this._trans.__('%1 null', formatNumber(summary.nulls)));
    }
    node.appendChild(el('span', 'hk-Table-summaryText', parts.join(' · ')));
  }

  private _renderBody(): void {
    const page = this._page!;
    const tbody = el('tbody');
    for (const values of page.rows) {
      const tr = el('tr');
      values.forEach((value, i) => {
        const kind = this._columns[i]?.kind ?? 'other';
        const td = el('td', `hk-Table-kind-${kind}`, cellText(value));
        if (value === null || value === undefined) {
          td.classList.add('hk-Table-null');
        }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    }
    this._table.querySelector('tbody')?.remove();
    this._table.appendChild(tbody);
    const trans = this._trans;
    this._countNode.textContent =
      page.count === page.total
        ? trans.__('%1 rows × %2 columns', formatNumber(page.total), this._columns.length)
        : trans.__(
            '%1 of %2 rows × %3 columns',
            formatNumber(page.count),
            formatNumber(page.total),
            this._columns.length
          );
    const end = Math.min(page.count, page.offset + page.rows.length);
    this._range.textContent = page.count
      ? trans.__('rows %1–%2 of %3', formatNumber(page.offset + 1), formatNumber(end), formatNumber(page.count))
      : trans.__('no rows');
    this._prev.disabled = this._first.disabled = page.offset === 0;
    this._next.disabled = this._last.disabled = end >= page.count;
  }

  // -- talking to the kernel ------------------------------------------------------------------

  private _showMessage(text: string, error = false, link?: HTMLElement): void {
    this._message.textContent = text;
    this._message.classList.toggle('hk-mod-error', error);
    if (link) {
      this._message.appendChild(document.createTextNode(' '));
      this._message.appendChild(link);
    }
  }

  private async _load(offset: number): Promise<void> {
    this.addClass('hk-mod-loading');
    try {
      this._page = await this._client!.request<IPage>('page', {
        state: this._state,
        offset,
        limit: this._data!.pageSize
      });
      this._showMessage('');
      this._renderBody();
      this._renderHead();
    } catch (reason) {
      this._showMessage((reason as Error).message, true);
    } finally {
      this.removeClass('hk-mod-loading');
    }
  }

  private async _loadSummaries(): Promise<void> {
    try {
      const reply = await this._client!.request<{ summaries: ISummary[] }>('summaries');
      this._summaries = new Map(reply.summaries.map(s => [s.column, s]));
      this._renderHead();
    } catch (reason) {
      this._showMessage((reason as Error).message, true);
    }
  }

  private _toggleSort(column: number, add: boolean): void {
    const sort = this._state.sort;
    const i = sort.findIndex(s => s.column === column);
    if (i < 0) {
      const key = { column, descending: false };
      this._state.sort = add ? [...sort, key] : [key];
    } else if (!sort[i].descending) {
      sort[i] = { column, descending: true };
      if (!add) {
        this._state.sort = [sort[i]];
      }
    } else {
      sort.splice(i, 1);
      if (!add) {
        this._state.sort = [];
      }
    }
    void this._load(0);
  }

  private _setFilter(column: number, filter: IFilter | null): void {
    this._state.filters = this._state.filters.filter(f => f.column !== column);
    if (filter) {
      this._state.filters.push(filter);
    }
    this._closePopup();
    void this._load(0).then(() => this._chart?.refresh());
  }

  private _toggleChart(): void {
    if (this._chart) {
      this._chart.dispose();
      this._chart = null;
      return;
    }
    const chart = new ChartPanel(
      this._columns,
      spec =>
        this._client!.request<IChartReply>('chart', {
          state: this._state,
          chart: spec,
          theme: document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light'
        }),
      code => this._insertBelow(this.node, code),
      this._rendermime,
      this._trans
    );
    this._chart = chart;
    this._chartHost.appendChild(chart.node);
    void chart.refresh();
  }

  private _toggleExplore(): void {
    if (this._explore) {
      this._explore.dispose();
      this._explore = null;
      return;
    }
    // the filtered view as it is now: Graphic Walker caches what it computed
    const state = JSON.parse(JSON.stringify(this._state));
    this._explore = new ExplorePanel(
      this._columns,
      async payload =>
        (await this._client!.request<{ rows: Record<string, unknown>[] }>('explore', {
          state,
          payload
        })).rows,
      this._trans
    );
    this._chartHost.appendChild(this._explore.node);
  }

  private async _copyCode(kind: string): Promise<void> {
    try {
      const reply = await this._client!.request<{ code: string }>('code', {
        state: this._state,
        kind
      });
      Clipboard.copyToSystem(reply.code);
      this._openPopup(null);
      this._popup.appendChild(el('div', 'hk-Table-popupTitle', this._trans.__('Copied to the clipboard')));
      this._popup.appendChild(el('pre', 'hk-Table-code', reply.code));
      this._popup.appendChild(button(this._trans.__('Close'), '', () => this._closePopup()));
    } catch (reason) {
      this._showMessage((reason as Error).message, true);
    }
  }

  private async _export(format: string, scope: string): Promise<void> {
    const trans = this._trans;
    this._showMessage(trans.__('Exporting…'));
    try {
      const reply = await this._client!.request<{ path: string; home: string }>('export', {
        state: this._state,
        format,
        scope
      });
      let root = PageConfig.getOption('serverRoot') || '';
      if (root.startsWith('~')) {
        root = reply.home + root.slice(1);
      }
      root = root.replace(/\/+$/, '');
      const name = reply.path.split('/').pop() ?? reply.path;
      if (root && reply.path.startsWith(root + '/')) {
        const relative = reply.path.slice(root.length + 1);
        const link = el('a', 'hk-Table-download', trans.__('Download %1', name));
        link.href =
          URLExt.join(
            PageConfig.getBaseUrl(),
            'files',
            URLExt.encodeParts(relative)
          ) + '?download=1';
        link.setAttribute('download', name);
        this._showMessage(trans.__('Saved %1.', reply.path), false, link);
      } else {
        this._showMessage(trans.__('Saved %1.', reply.path));
      }
    } catch (reason) {
      this._showMessage((reason as Error).message, true);
    }
  }

  private async _compact(): Promise<void> {
    try {
      const reply = await this._client!.request<{ message: string; columns: IColumn[] }>(
        'compact'
      );
      this._columns = reply.columns;
      this._summaries = new Map();
      await this._load(this._page!.offset);
      this._showMessage(reply.message);
      void this._loadSummaries();
    } catch (reason) {
      this._showMessage((reason as Error).message, true);
    }
  }

  private async _profile(): Promise<void> {
    this._showMessage(this._trans.__('Profiling…'));
    try {
      const reply = await this._client!.request<{ html: string }>('profile');
      this._showMessage('');
      const body = new Widget();
      body.addClass('hk-Table-profile');
      // The kernel's report: its text is escaped (report.py), no scripts
      body.node.innerHTML = reply.html;
      await showDialog({
        title: this._trans.__('Profile of %1', this._data!.variable ?? this._trans.__('the table')),
        body,
        buttons: [Dialog.okButton({ label: this._trans.__('Close') })]
      });
    } catch (reason) {
      this._showMessage((reason as Error).message, true);
    }
  }

  // -- popups -------------------------------------------------------------------------------

  private _openPopup(anchor: HTMLElement | null): void {
    this._popup.textContent = '';
    this._popup.hidden = false;
    const box = this.node.getBoundingClientRect();
    if (anchor) {
      const a = anchor.getBoundingClientRect();
      this._popup.style.left = `${Math.max(0, Math.min(a.left - box.left, box.width - 280))}px`;
      this._popup.style.top = `${a.bottom - box.top}px`;
    } else {
      this._popup.style.left = '8px';
      this._popup.style.top = '40px';
    }
    if (!this._outside) {
      this._outside = (event: MouseEvent) => {
        if (!this._popup.contains(event.target as Node)) {
          this._closePopup();
        }
      };
      document.addEventListener('mousedown', this._outside, true);
    }
  }

  private _closePopup(): void {
    this._popup.hidden = true;
    if (this._outside) {
      document.removeEventListener('mousedown', this._outside, true);
      this._outside = null;
    }
  }

  private _openSummary(column: IColumn, anchor: HTMLElement): void {
    const trans = this._trans;
    const summary = this._summaries.get(column.index);
    this._openPopup(anchor);
    const popup = this._popup;
    popup.classList.add('hk-Table-summaryPopup');
    popup.appendChild(el('div', 'hk-Table-popupTitle', `${column.name} · ${column.dtype}`));
    if (!summary) {
      popup.appendChild(el('div', '', trans.__('The summary is still being computed.')));
      return;
    }
    const list = el('dl', 'hk-Table-facts');
    const fact = (label: string, value: string) => {
      list.append(el('dt', '', label), el('dd', '', value));
    };
    fact(trans.__('rows'), formatNumber(summary.rows) + (summary.sampled ? ' ' + trans.__('(a random sample)') : ''));
    fact(trans.__('nulls'), formatNumber(summary.nulls));
    fact(trans.__('distinct'), formatNumber(summary.distinct));
    if (summary.min !== undefined) {
      fact(trans.__('min'), cellText(summary.min));
      fact(trans.__('max'), cellText(summary.max));
    }
    popup.appendChild(list);
    if (summary.histogram) {
      popup.appendChild(histogramSvg(summary.histogram.counts, 240, 60));
    }
    if (summary.top && summary.top.length) {
      popup.appendChild(el('div', 'hk-Table-popupTitle', trans.__('Most frequent')));
      const top = el('table', 'hk-Table-top');
      for (const [value, n] of summary.top) {
        const tr = el('tr');
        tr.append(el('td', '', cellText(value)), el('td', 'hk-Table-kind-number', formatNumber(n)));
        top.appendChild(tr);
      }
      popup.appendChild(top);
    }
  }

  private _openFilter(column: IColumn, anchor: HTMLElement): void {
    const trans = this._trans;
    this._openPopup(anchor);
    const popup = this._popup;
    popup.classList.remove('hk-Table-summaryPopup');
    popup.appendChild(el('div', 'hk-Table-popupTitle', trans.__('Filter %1', column.name)));
    const current = this._state.filters.find(f => f.column === column.index);
    const summary = this._summaries.get(column.index);
    const form = el('form', 'hk-Table-filter');
    popup.appendChild(form);
    let read: () => IFilter | null;
    if (column.kind === 'number' || column.kind === 'date') {
      const input = (label: string, value: unknown) => {
        const field = el('label', 'hk-Table-field', label);
        const box = el('input', 'jp-mod-styled');
        box.type = column.kind === 'number' ? 'number' : 'text';
        box.step = 'any';
        box.placeholder =
          column.kind === 'date'
            ? '2026-01-31'
            : summary && summary.min !== undefined
              ? cellText(label === trans.__('min') ? summary.min : summary.max)
              : '';
        box.value = value === undefined ? '' : String(value);
        field.appendChild(box);
        form.appendChild(field);
        return box;
      };
      const min = input(trans.__('min'), current?.min);
      const max = input(trans.__('max'), current?.max);
      read = () => {
        const filter: IFilter = { column: column.index, op: 'range' };
        for (const [key, box] of [
          ['min', min],
          ['max', max]
        ] as const) {
          if (box.value.trim() !== '') {
            filter[key] = column.kind === 'number' ? Number(box.value) : box.value.trim();
          }
        }
        return filter.min === undefined && filter.max === undefined ? null : filter;
      };
    } else if (summary?.choices && (column.kind === 'text' || column.kind === 'bool')) {
      const chosen = new Set(current?.op === 'in' ? current.values : []);
      const boxes: [unknown, HTMLInputElement][] = [];
      const list = el('div', 'hk-Table-choices');
      for (const value of [...summary.choices, ...(summary.nulls ? [null] : [])]) {
        const field = el('label', 'hk-Table-choice');
        const box = el('input');
        box.type = 'checkbox';
        box.checked = chosen.has(value);
        field.append(box, document.createTextNode(' ' + cellText(value)));
        list.appendChild(field);
        boxes.push([value, box]);
      }
      form.appendChild(list);
      read = () => {
        const values = boxes.filter(([, b]) => b.checked).map(([v]) => v);
        return values.length ? { column: column.index, op: 'in', values } : null;
      };
    } else {
      const field = el('label', 'hk-Table-field', trans.__('contains'));
      const box = el('input', 'jp-mod-styled');
      box.type = 'text';
      box.value = current?.op === 'contains' ? (current.value ?? '') : '';
      field.appendChild(box);
      form.appendChild(field);
      read = () => (box.value ? { column: column.index, op: 'contains', value: box.value } : null);
    }
    const only = el('label', 'hk-Table-choice');
    const nullBox = el('input');
    nullBox.type = 'checkbox';
    nullBox.checked = current?.op === 'null';
    only.append(nullBox, document.createTextNode(' ' + trans.__('only nulls')));
    form.appendChild(only);
    const buttons = el('div', 'hk-Table-popupButtons');
    const apply = el('button', 'jp-Button jp-mod-styled jp-mod-accept', trans.__('Apply'));
    apply.type = 'submit';
    buttons.append(
      apply,
      button(trans.__('Clear'), trans.__('Remove this filter'), () =>
        this._setFilter(column.index, null)
      )
    );
    form.appendChild(buttons);
    form.addEventListener('submit', event => {
      event.preventDefault();
      this._setFilter(
        column.index,
        nullBox.checked ? { column: column.index, op: 'null' } : read()
      );
    });
    (form.querySelector('input') as HTMLInputElement | null)?.focus();
  }

  private _data: ITableData | null = null;
  private _columns: IColumn[] = [];
  private _page: IPage | null = null;
  private _state: IViewState = { sort: [], filters: [], search: '' };
  private _summaries = new Map<number, ISummary>();
  private _client: TableClient | null = null;
  private _table!: HTMLTableElement;
  private _countNode!: HTMLElement;
  private _message!: HTMLElement;
  private _range!: HTMLElement;
  private _prev!: HTMLButtonElement;
  private _next!: HTMLButtonElement;
  private _first!: HTMLButtonElement;
  private _last!: HTMLButtonElement;
  private _popup!: HTMLElement;
  private _chart: ChartPanel | null = null;
  private _explore: ExplorePanel | null = null;
  private _chartHost!: HTMLElement;
  private _outside: ((event: MouseEvent) => void) | null = null;
}
