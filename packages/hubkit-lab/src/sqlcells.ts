/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { Cell, CodeCell, ICellModel } from '@jupyterlab/cells';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import {
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { caretDownEmptyIcon } from '@jupyterlab/ui-components';
import { JSONExt } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';
import { PanelLayout, Widget } from '@lumino/widgets';

import { SqlApi } from './api';
import {
  CONNECTION_NAME,
  DEFAULT_STATE,
  formatMagic,
  isSqlSource,
  parseMagic,
  PYTHON_NAME,
  withMagic,
  withoutMagic
} from './magic';
import { ICatalogSource, sqlCompartment, sqlEditorExtensions } from './sqleditor';
import { IColumnInfo, IConnectionSummary, ISqlCellState, ITableInfo } from './tokens';

/**
 * The metadata key: `metadata.hubkit.sql = {connection, output, limit}`.
 */
const METADATA_KEY = 'hubkit';

const CELL_CLASS = 'hk-SqlCell';
const TOOLBAR_CLASS = 'hk-SqlCell-toolbar';

/**
 * Whether a cell is a SQL cell: a code cell whose first line is the magic.
 */
export function isSqlCell(model: ICellModel): boolean {
  return model.type === 'code' && isSqlSource(model.sharedModel.getSource());
}

/**
 * The state of a SQL cell, from its magic line (what runs), the source of truth.
 */
export function cellState(model: ICellModel): ISqlCellState {
  return parseMagic(model.sharedModel.getSource().split('\n', 1)[0]);
}

/**
 * Write a state into a cell: its magic line and its metadata, in one transaction (one undo
 * step, one change for collaborators). Only the characters that change are replaced (the
 * connection's name, say), so two people changing different options of one cell at once
 * (one the connection, the other the variable) merge into a line with both changes, where
 * replacing the whole line would leave both lines, one after the other.
 */
export function setCellState(model: ICellModel, state: ISqlCellState): void {
  const shared = model.sharedModel;
  shared.transact(() => {
    const source = shared.getSource();
    const updated = withMagic(source, state);
    if (updated !== source) {
      const end = source.indexOf('\n');
      if (isSqlSource(source)) {
        const old = source.slice(0, end < 0 ? source.length : end);
        const line = formatMagic(state);
        let start = 0;
        while (start < old.length && start < line.length && old[start] === line[start]) {
          start++;
        }
        let tail = 0;
        while (
          tail < old.length - start &&
          tail < line.length - start &&
          old[old.length - 1 - tail] === line[line.length - 1 - tail]
        ) {
          tail++;
        }
        shared.updateSource(start, old.length - tail, line.slice(start, line.length - tail));
      } else {
        shared.updateSource(0, 0, formatMagic(state) + '\n');
      }
    }
    writeMetadata(model, state);
  });
}

/**
 * The picker's state in the cell's metadata (`hubkit.sql`), when it differs. The magic line
 * is what runs; the metadata follows it, also after a collaborator's change merged into it.
 */
function writeMetadata(model: ICellModel, state: ISqlCellState): void {
  const hubkit = { ...((model.getMetadata(METADATA_KEY) as any) ?? {}) };
  if (JSONExt.deepEqual(hubkit.sql ?? null, { ...state } as any)) {
    return;
  }
  model.setMetadata(METADATA_KEY, { ...hubkit, sql: { ...state } });
}

/**
 * Turn a SQL cell back into a Python cell: the magic line and the metadata go.
 */
export function clearCellState(model: ICellModel): void {
  const shared = model.sharedModel;
  shared.transact(() => {
    const source = shared.getSource();
    if (isSqlSource(source)) {
      const end = source.indexOf('\n');
      shared.updateSource(0, end < 0 ? source.length : end + 1, '');
    }
    const hubkit = { ...((model.getMetadata(METADATA_KEY) as any) ?? {}) };
    if ('sql' in hubkit) {
      delete hubkit.sql;
      if (Object.keys(hubkit).length) {
        model.setMetadata(METADATA_KEY, hubkit);
      } else {
        model.deleteMetadata(METADATA_KEY);
      }
    }
  });
  void withoutMagic; // kept for callers working on plain text
}

/**
 * A `<select>` in JupyterLab's style (jp-HTMLSelect, as its React HTMLSelect renders it),
 * with its options as [value, text] and the chosen value when given.
 */
export function createSelect(
  className: string,
  options: [string, string][] = [],
  value?: string
): {
  node: HTMLDivElement;
  select: HTMLSelectElement;
} {
  const node = document.createElement('div');
  node.className = `jp-HTMLSelect jp-DefaultStyle ${className}`;
  const select = document.createElement('select');
  for (const [v, text] of options) {
    const option = document.createElement('option');
    option.value = v;
    option.textContent = text;
    select.appendChild(option);
  }
  if (value !== undefined) {
    select.value = value;
  }
  node.appendChild(select);
  node.appendChild(
    caretDownEmptyIcon.element({
      tag: 'span',
      stylesheet: 'select',
      right: '4px',
      top: '4px'
    })
  );
  return { node, select };
}

/**
 * The toolbar above a SQL cell's editor: connection, output variable, row limit. It
 * rewrites the magic line, and follows it when it changes otherwise (a collaborator, undo).
 */
export class SqlCellToolbar extends Widget {
  constructor(
    cell: Cell,
    api: SqlApi,
    trans: TranslationBundle,
    onChange: (state: ISqlCellState) => void,
    onBuilder?: () => void
  ) {
    super();
    this._cell = cell;
    this._api = api;
    this._trans = trans;
    this._onChange = onChange;
    this.addClass(TOOLBAR_CLASS);

    const label = (text: string, control: HTMLElement): HTMLLabelElement => {
      const node = document.createElement('label');
      node.className = 'hk-SqlCell-field';
      const span = document.createElement('span');
      span.className = 'hk-SqlCell-label';
      span.textContent = text;
      node.append(span, control);
      return node;
    };

    const badge = document.createElement('span');
    badge.className = 'hk-SqlCell-badge';
    badge.textContent = 'SQL';

    const { node: selectNode, select } = createSelect('hk-SqlCell-connection');
    this._connection = select;
    select.title = trans.__('The connection the query runs on');
    select.setAttribute('aria-label', trans.__('Connection'));
    select.addEventListener('change', () => this._changed());

    this._output = document.createElement('input');
    this._output.className = 'jp-mod-styled hk-SqlCell-output';
    this._output.spellcheck = false;
    this._output.title = trans.__('The Python variable the result (a DataFrame) goes into');
    this._output.setAttribute('aria-label', trans.__('Result variable'));
    this._output.addEventListener('change', () => this._changed());

    this._limit = document.createElement('input');
    this._limit.className = 'jp-mod-styled hk-SqlCell-limit';
    this._limit.type = 'number';
    this._limit.min = '0';
    this._limit.placeholder = trans.__('default');
    this._limit.title = trans.__('The most rows kept (0: all; empty: the kernel\'s default)');
    this._limit.setAttribute('aria-label', trans.__('Row limit'));
    this._limit.addEventListener('change', () => this._changed());

    this.node.append(
      badge,
      label(trans.__('Connection'), selectNode),
      label(trans.__('Result in'), this._output),
      label(trans.__('Limit'), this._limit)
    );
    if (onBuilder) {
      const builder = document.createElement('button');
      builder.className = 'jp-Button jp-mod-minimal jp-mod-styled hk-SqlCell-builder';
      builder.textContent = trans.__('Query builder');
      builder.title = trans.__('Open this query in the visual query builder');
      builder.addEventListener('click', onBuilder);
      this.node.append(builder);
    }
    // Keys typed here are the toolbar's, not the notebook's shortcuts
    this.node.addEventListener('keydown', event => {
      event.stopPropagation();
      if (event.key === 'Enter') {
        (event.target as HTMLElement).blur();
      }
    });
    api.connectionsChanged.connect(this._loadConnections, this);
    this._loadConnections();
    this.render();
  }

  /**
   * Show the cell's state (from its magic line).
   */
  render(): void {
    const state = cellState(this._cell.model);
    this._state = state;
    this._fillConnections();
    if (document.activeElement !== this._output) {
      this._output.value = state.output;
    }
    if (document.activeElement !== this._limit) {
      this._limit.value = state.limit === null ? '' : String(state.limit);
    }
    this._output.classList.remove('hk-mod-invalid');
    this._limit.classList.remove('hk-mod-invalid');
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._api.connectionsChanged.disconnect(this._loadConnections, this);
    super.dispose();
  }

  private _loadConnections(): void {
    this._api.connections().then(
      connections => {
        this._connections = connections;
        this._fillConnections();
      },
      reason => console.warn('hubkit-lab: cannot list the connections', reason)
    );
  }

  private _fillConnections(): void {
    const select = this._connection;
    const current = this._state.connection;
    const names = this._connections.map(c => c.name);
    const wanted = names.includes(current) ? names : [...names, current];
    const shown = Array.from(select.options).map(o => o.value);
    if (wanted.join('\n') !== shown.join('\n')) {
      select.replaceChildren(
        ...wanted.map(name => {
          const option = document.createElement('option');
          option.value = name;
          const known = this._connections.find(c => c.name === name);
          option.textContent = known
            ? known.kind === 'personal'
              ? name
              : this._trans.__('%1 (%2)', name, this._kindLabel(known))
            : this._trans.__('%1 (unknown)', name);
          return option;
        })
      );
    }
    select.value = current;
  }

  private _kindLabel(connection: IConnectionSummary): string {
    return connection.kind === 'shared'
      ? this._trans.__('shared')
      : this._trans.__('in the kernel');
  }

  private _changed(): void {
    const output = this._output.value.trim();
    const limitText = this._limit.value.trim();
    const limit = limitText === '' ? null : Number(limitText);
    const outputOk = PYTHON_NAME.test(output);
    const limitOk = limit === null || (Number.isInteger(limit) && limit >= 0);
    this._output.classList.toggle('hk-mod-invalid', !outputOk);
    this._limit.classList.toggle('hk-mod-invalid', !limitOk);
    if (!outputOk || !limitOk || !CONNECTION_NAME.test(this._connection.value)) {
      return;
    }
    this._onChange({ connection: this._connection.value, output, limit });
  }

  private _cell: Cell;
  private _api: SqlApi;
  private _trans: TranslationBundle;
  private _onChange: (state: ISqlCellState) => void;
  private _connection: HTMLSelectElement;
  private _output: HTMLInputElement;
  private _limit: HTMLInputElement;
  private _connections: IConnectionSummary[] = [];
  private _state: ISqlCellState = { ...DEFAULT_STATE };
}

/**
 * A table the notebook's kernel holds: a DataFrame, Arrow table or data file path by its
 * variable name, or a table of the kernel's own DuckDB (hubkit_kernel.sql.kernel_tables).
 */
interface IKernelTable {
  name: string;
  kind: 'dataframe' | 'file' | 'table';
  rows: number | null;
  columns: [string, string][];
}

const KERNEL_TABLES_TTL = 3000;

/**
 * The catalog of the connection a cell names now, for its completion. For DuckDB, which runs
 * in the kernel, the kernel's DataFrames and tables join the server's catalog under `main`.
 */
class CellCatalog implements ICatalogSource {
  constructor(cell: Cell, api: SqlApi, kernel: () => Kernel.IKernelConnection | null) {
    this._cell = cell;
    this._api = api;
    this._kernel = kernel;
  }

  get connection(): string {
    return cellState(this._cell.model).connection;
  }

  dialect(): string {
    return this._dialect;
  }

  async refreshDialect(): Promise<boolean> {
    const found = await this._api.connection(this.connection);
    const dialect = found?.dialect ?? '';
    const changed = dialect !== this._dialect;
    this._dialect = dialect;
    this._database = found?.database ?? null;
    this._builtin = found?.kind === 'builtin';
    return changed;
  }

  async schemas(): Promise<string[]> {
    if (this._builtin) {
      return ['main']; // DuckDB in the kernel: nothing on the server
    }
    const schemas = await this._api.schemas(this.connection);
    const duckdb = this._dialect === 'duckdb' && !schemas.includes('main');
    return duckdb ? ['main', ...schemas] : schemas;
  }

  async defaultSchema(): Promise<string | null> {
    const schemas = await this.schemas();
    const preferred = ['main', 'public', 'dbo', this._database ?? ''];
    return schemas.find(s => preferred.includes(s)) ?? schemas[0] ?? null;
  }

  async tables(schema: string): Promise<ITableInfo[]> {
    const server = this._builtin ? [] : await this._api.tables(this.connection, schema);
    if (this._dialect !== 'duckdb' || schema !== 'main') {
      return server;
    }
    const names = new Set(server.map(t => t.name));
    const kernel = (await this._kernelTables())
      .filter(t => !names.has(t.name))
      .map(t => ({ schema, name: t.name, kind: t.kind, estimated_rows: t.rows }));
    return [...kernel, ...server];
  }

  async columns(schema: string, table: string): Promise<IColumnInfo[]> {
    if (this._dialect === 'duckdb' && schema === 'main') {
      const found = (await this._kernelTables()).find(t => t.name === table);
      if (found || this._builtin) {
        return (found?.columns ?? []).map(([name, type]) => ({
          name,
          type,
          nullable: true,
          primary_key: false,
          foreign_keys: []
        }));
      }
    }
    return this._api.columns(this.connection, schema, table);
  }

  /**
   * Ask the kernel, silently, at most every few seconds; nothing without a kernel.
   */
  private async _kernelTables(): Promise<IKernelTable[]> {
    const kernel = this._kernel();
    const now = Date.now();
    if (!kernel) {
      return [];
    }
    const cached = this._cached;
    if (cached && cached.kernel === kernel && now - cached.at < KERNEL_TABLES_TTL) {
      return cached.tables;
    }
    const expression = `__import__('hubkit_kernel.sql').sql.kernel_tables(${JSON.stringify(
      this.connection
    )})`;
    const future = kernel.requestExecute({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { hubkit: expression }
    });
    const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
    const content = reply.content as KernelMessage.IExecuteReply;
    const value = (content.user_expressions ?? {})['hubkit'] as unknown as
      | { status: string; data?: { 'application/json'?: { tables: IKernelTable[] } } }
      | undefined;
    const tables =
      value?.status === 'ok' ? (value.data?.['application/json']?.tables ?? []) : [];
    this._cached = { kernel, at: now, tables };
    return tables;
  }

  private _cell: Cell;
  private _api: SqlApi;
  private _kernel: () => Kernel.IKernelConnection | null;
  private _dialect = '';
  private _database: string | null = null;
  private _builtin = false;
  private _cached: {
    kernel: Kernel.IKernelConnection;
    at: number;
    tables: IKernelTable[];
  } | null = null;
}

/**
 * Finds the SQL cells of every notebook and gives each a toolbar and a SQL editor; turns
 * cells into SQL cells and back.
 */
export class SqlCells {
  constructor(api: SqlApi, trans: TranslationBundle) {
    this._api = api;
    this._trans = trans;
    api.connectionsChanged.connect(() => {
      for (const cell of this._sqlCells) {
        void this._configureEditor(cell);
      }
    });
  }

  /**
   * Follow a notebook's cells: those that are SQL cells now, and those that become SQL cells.
   */
  track(panel: NotebookPanel): void {
    const notebook = panel.content;
    const scan = () => {
      for (const cell of notebook.widgets) {
        this._kernels.set(cell, () => panel.sessionContext.session?.kernel ?? null);
        this._watch(cell);
      }
    };
    notebook.model?.cells.changed.connect(scan);
    notebook.modelChanged.connect(() => {
      notebook.model?.cells.changed.connect(scan);
      scan();
    });
    void panel.context.ready.then(scan);
    scan();
  }

  /**
   * The connection a new SQL cell gets: the one last picked, else the first the user owns
   * or was granted, else DuckDB in the kernel.
   */
  async defaultState(): Promise<ISqlCellState> {
    if (this._last) {
      return { ...this._last };
    }
    let connections: IConnectionSummary[] = [];
    try {
      connections = await this._api.connections();
    } catch {
      // the kernel's default
    }
    const first =
      connections.find(c => c.kind === 'personal') ??
      connections.find(c => c.kind === 'shared');
    return { ...DEFAULT_STATE, connection: first?.name ?? DEFAULT_STATE.connection };
  }

  /**
   * Turn the selected cells of a notebook into SQL cells (code cells with the magic).
   */
  async changeToSql(notebook: Notebook): Promise<void> {
    const state = await this.defaultState();
    const selected = notebook.widgets.filter(w => notebook.isSelectedOrActive(w));
    if (selected.some(w => w.model.type !== 'code')) {
      NotebookActions.changeCellType(notebook, 'code');
    }
    for (const cell of notebook.widgets.filter(w => notebook.isSelectedOrActive(w))) {
      if (!isSqlCell(cell.model)) {
        setCellState(cell.model, state);
      }
    }
    notebook.activate();
    const active = notebook.activeCell;
    if (active?.editor && isSqlCell(active.model)) {
      // the cursor where the SQL goes, below the magic line
      const length = active.model.sharedModel.getSource().length;
      const end = active.editor.getPositionAt(length);
      if (end) {
        active.editor.setCursorPosition(end);
      }
    }
  }

  /**
   * Turn the selected SQL cells back into Python cells.
   */
  changeToPython(notebook: Notebook): void {
    for (const cell of notebook.widgets.filter(w => notebook.isSelectedOrActive(w))) {
      if (isSqlCell(cell.model)) {
        clearCellState(cell.model);
      }
    }
  }

  private _watch(cell: Cell): void {
    if (this._watched.has(cell) || !(cell instanceof CodeCell)) {
      return;
    }
    this._watched.add(cell);
    const update = () => void this._update(cell);
    cell.model.contentChanged.connect(update);
    cell.disposed.connect(() => {
      this._watched.delete(cell);
      this._sqlCells.delete(cell);
      this._catalogs.delete(cell);
      this._kernels.delete(cell);
    });
    void cell.ready.then(update);
  }

  private async _update(cell: Cell): Promise<void> {
    if (cell.isDisposed) {
      return;
    }
    const sql = isSqlCell(cell.model);
    const toolbar = this._toolbars.get(cell);
    if (sql) {
      // the magic line may have changed under us (a collaborator, an undo): the metadata
      // follows it, the same value on every side, so it converges with the source
      if ((cell.model.getMetadata(METADATA_KEY) as any)?.sql) {
        writeMetadata(cell.model, cellState(cell.model));
      }
      if (!toolbar) {
        this._addToolbar(cell);
        this._sqlCells.add(cell);
        cell.addClass(CELL_CLASS);
        await this._configureEditor(cell);
      } else {
        toolbar.render();
        const catalog = this._catalogs.get(cell);
        if (catalog && catalog.connection !== this._connectionOf.get(cell)) {
          await this._configureEditor(cell);
        }
      }
    } else if (toolbar) {
      toolbar.dispose();
      this._toolbars.delete(cell);
      this._sqlCells.delete(cell);
      cell.removeClass(CELL_CLASS);
      this._editorView(cell)?.dispatch({ effects: sqlCompartment.reconfigure([]) });
    }
  }

  /**
   * A SQL cell's toolbar asks for the query builder (on that cell).
   */
  get builderRequested(): ISignal<this, Cell> {
    return this._builderRequested;
  }

  private _addToolbar(cell: Cell): void {
    const toolbar = new SqlCellToolbar(
      cell,
      this._api,
      this._trans,
      state => {
        this._last = { ...state };
        setCellState(cell.model, state);
      },
      () => this._builderRequested.emit(cell)
    );
    const layout = cell.layout as PanelLayout;
    // After the cell's header, before its input: above the editor
    layout.insertWidget(Math.min(1, layout.widgets.length), toolbar);
    this._toolbars.set(cell, toolbar);
  }

  private _editorView(cell: Cell): CodeMirrorEditor['editor'] | null {
    const editor = cell.editor as CodeMirrorEditor | null;
    return editor && 'editor' in editor ? editor.editor : null;
  }

  private async _configureEditor(cell: Cell): Promise<void> {
    let catalog = this._catalogs.get(cell);
    if (!catalog) {
      catalog = new CellCatalog(cell, this._api, () => this._kernels.get(cell)?.() ?? null);
      this._catalogs.set(cell, catalog);
    }
    this._connectionOf.set(cell, catalog.connection);
    try {
      await catalog.refreshDialect();
    } catch {
      // plain SQL without a known dialect
    }
    const view = this._editorView(cell);
    if (view && isSqlCell(cell.model)) {
      view.dispatch({ effects: sqlCompartment.reconfigure(sqlEditorExtensions(catalog)) });
    }
  }

  private _api: SqlApi;
  private _trans: TranslationBundle;
  private _last: ISqlCellState | null = null;
  private _watched = new Set<Cell>();
  private _sqlCells = new Set<Cell>();
  private _toolbars = new Map<Cell, SqlCellToolbar>();
  private _catalogs = new Map<Cell, CellCatalog>();
  private _kernels = new Map<Cell, () => Kernel.IKernelConnection | null>();
  private _connectionOf = new Map<Cell, string>();
  private _builderRequested = new Signal<this, Cell>(this);
}

/**
 * The notebook toolbar's cell type menu, with "SQL" besides Code, Markdown and Raw.
 */
export class CellTypeSwitcher extends Widget {
  constructor(notebook: Notebook, cells: SqlCells, trans: TranslationBundle) {
    super();
    this._notebook = notebook;
    this._cells = cells;
    this.addClass('jp-Notebook-toolbarCellType');
    const { node, select } = createSelect('jp-Notebook-toolbarCellTypeDropdown');
    this._select = select;
    select.setAttribute('aria-label', trans.__('Cell type'));
    select.title = trans.__('Select the cell type');
    const options: [string, string][] = [
      ['-', '-'],
      ['code', trans.__('Code')],
      ['sql', trans.__('SQL')],
      ['markdown', trans.__('Markdown')],
      ['raw', trans.__('Raw')]
    ];
    for (const [value, text] of options) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = text;
      select.appendChild(option);
    }
    select.addEventListener('focus', event => event.stopPropagation());
    select.addEventListener('change', () => void this._change());
    select.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        this._notebook.activate();
      }
    });
    this.node.appendChild(node);
    notebook.activeCellChanged.connect(this.update, this);
    notebook.selectionChanged.connect(this.update, this);
    this._watchActive();
    notebook.activeCellChanged.connect(this._watchActive, this);
    this.update();
  }

  protected onUpdateRequest(): void {
    this._select.value = this._value();
  }

  private _watchActive(): void {
    this._active?.model.contentChanged.disconnect(this.update, this);
    this._active = this._notebook.activeCell;
    this._active?.model.contentChanged.connect(this.update, this);
  }

  private _typeOf(cell: Cell): string {
    return isSqlCell(cell.model) ? 'sql' : cell.model.type;
  }

  private _value(): string {
    const active = this._notebook.activeCell;
    if (!active) {
      return '-';
    }
    const value = this._typeOf(active);
    for (const cell of this._notebook.widgets) {
      if (this._notebook.isSelectedOrActive(cell) && this._typeOf(cell) !== value) {
        return '-';
      }
    }
    return value;
  }

  private async _change(): Promise<void> {
    const value = this._select.value;
    const notebook = this._notebook;
    if (value === 'sql') {
      await this._cells.changeToSql(notebook);
    } else if (value !== '-') {
      this._cells.changeToPython(notebook);
      if (value !== 'code') {
        NotebookActions.changeCellType(notebook, value as 'markdown' | 'raw');
      }
      notebook.activate();
    }
    this.update();
  }

  private _notebook: Notebook;
  private _cells: SqlCells;
  private _select: HTMLSelectElement;
  private _active: Cell | null = null;
}
