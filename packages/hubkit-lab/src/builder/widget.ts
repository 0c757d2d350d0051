/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { SqlApi } from '../api';
import { errorText, previewTable } from '../dialogs';
import { el } from '../dom';
import { PYTHON_NAME } from '../magic';
import { createSelect } from '../sqlcells';
import { IColumnInfo } from '../tokens';
import {
  AGGREGATES,
  build,
  IBuilderState,
  IBuilt,
  JOIN_KINDS,
  OPERATORS,
  suggestJoins,
  valueKind
} from './model';

const PREVIEW_ROWS = 20;

/**
 * What the builder does with the query: write it into the notebook.
 */
export interface IBuilderTarget {
  /** The button's label: "Insert as SQL cell" or "Update SQL cell". */
  label: string;
  /** Write the query; false when there is no notebook to write to. */
  insert(output: string, built: IBuilt, state: IBuilderState): Promise<boolean>;
}

/**
 * The visual query builder: tables and their joins, columns with aggregates, typed filters,
 * order and limit on the left; the SQL the server generates and a preview of its first rows
 * on the right. Every change asks the server again (hubkit_kernel.sql.builder).
 */
export class QueryBuilder extends Widget {
  constructor(options: {
    api: SqlApi;
    connection: string;
    state: IBuilderState;
    output: string;
    target: IBuilderTarget;
    trans: TranslationBundle;
  }) {
    super();
    this.addClass('hk-Builder');
    this._api = options.api;
    this._connection = options.connection;
    this._state = options.state;
    this._target = options.target;
    this._trans = options.trans;
    const trans = this._trans;

    this._form = el('div', 'hk-Builder-form');
    const side = el('div', 'hk-Builder-result');
    const sqlTitle = el('h3', '', trans.__('SQL'));
    this._sql = el('pre', 'hk-Builder-sql');
    this._params = el('div', 'hk-Builder-params');
    this._error = el('div', 'hk-Builder-error');
    this._error.setAttribute('role', 'alert');
    const previewTitle = el('h3', '', trans.__('Preview (first %1 rows)', PREVIEW_ROWS));
    this._preview = el('div', 'hk-Builder-preview');

    const footer = el('div', 'hk-Builder-footer');
    const outLabel = el('label', '', trans.__('Result in'));
    this._output = el('input', 'jp-mod-styled hk-Builder-output');
    this._output.value = options.output;
    this._output.spellcheck = false;
    this._output.title = trans.__('The Python variable the SQL cell stores its result in');
    // the parameters are named after it
    this._output.addEventListener('change', () => this._changed());
    outLabel.appendChild(this._output);
    this._insert = el(
      'button',
      'jp-Button jp-mod-styled jp-mod-accept hk-Builder-insert',
      this._target.label
    );
    this._insert.addEventListener('click', () => void this._doInsert());
    footer.append(outLabel, this._insert);

    side.append(sqlTitle, this._sql, this._params, this._error, previewTitle, this._preview);
    this.node.append(this._form, side, footer);
    // Keys typed here are the builder's, not the notebook's shortcuts
    this.node.addEventListener('keydown', event => event.stopPropagation());
    void this._start();
  }

  /**
   * The state shown (the query's definition).
   */
  get state(): IBuilderState {
    return this._state;
  }

  private async _start(): Promise<void> {
    try {
      const schemas = await this._api.schemas(this._connection);
      const tables = await Promise.all(
        schemas.map(async schema =>
          (await this._api.tables(this._connection, schema)).map(t => ({ schema, table: t.name }))
        )
      );
      this._available = tables.flat();
      await Promise.all(this._state.tables.map(t => this._loadColumns(t.schema, t.table)));
    } catch (reason) {
      this._error.textContent = errorText(reason);
    }
    this._render();
    this._changed();
  }

  private async _loadColumns(schema: string, table: string): Promise<void> {
    const key = `${schema}.${table}`;
    if (!this._columns.has(key)) {
      this._columns.set(key, await this._api.columns(this._connection, schema, table));
    }
  }

  private _columnsOf(index: number): IColumnInfo[] {
    const t = this._state.tables[index];
    return t ? (this._columns.get(`${t.schema}.${t.table}`) ?? []) : [];
  }

  private _tableLabel(index: number): string {
    const t = this._state.tables[index];
    return `t${index} ${t.table}`;
  }

  /** A select of every column of the query's tables; values are `table:column`. */
  private _columnSelect(
    table: number | null,
    column: string,
    onChange: (table: number, column: string) => void,
    only?: number[]
  ): HTMLElement {
    const { node, select } = createSelect('hk-Builder-column');
    select.setAttribute('aria-label', this._trans.__('Column'));
    const tables = only ?? this._state.tables.map((_, i) => i);
    for (const i of tables) {
      const group = document.createElement('optgroup');
      group.label = this._tableLabel(i);
      for (const c of this._columnsOf(i)) {
        const option = el('option', '', `${this._state.tables[i].table}.${c.name}`);
        option.value = `${i}:${c.name}`;
        group.appendChild(option);
      }
      select.appendChild(group);
    }
    if (table !== null) {
      select.value = `${table}:${column}`;
    }
    select.addEventListener('change', () => {
      const at = select.value.indexOf(':');
      onChange(Number(select.value.slice(0, at)), select.value.slice(at + 1));
    });
    return node;
  }

  private _select(
    className: string,
    options: [string, string][],
    value: string,
    onChange: (value: string) => void
  ): HTMLElement {
    const { node, select } = createSelect(className, options, value);
    select.addEventListener('change', () => onChange(select.value));
    return node;
  }

  private _button(text: string, title: string, run: () => void, className = ''): HTMLElement {
    const b = el('button', `jp-Button jp-mod-minimal jp-mod-styled ${className}`, text);
    b.title = title;
    b.addEventListener('click', run);
    return b;
  }

  private _section(title: string, className: string, ...rows: HTMLElement[]): HTMLElement {
    const section = el('section', `hk-Builder-section ${className}`);
    section.append(el('h3', '', title), ...rows);
    return section;
  }

  private _row(...items: HTMLElement[]): HTMLElement {
    const row = el('div', 'hk-Builder-row');
    row.append(...items);
    return row;
  }

  private _remove(list: unknown[], index: number): HTMLElement {
    return this._button('×', this._trans.__('Remove'), () => {
      list.splice(index, 1);
      this._render();
      this._changed();
    }, 'hk-Builder-remove');
  }

  /** Draw the form from the state. */
  private _render(): void {
    const trans = this._trans;
    const s = this._state;
    const text = (s2: string) => {
      return el('span', 'hk-Builder-text', s2);
    };

    // Tables
    const tableRows = s.tables.map((t, i) =>
      this._row(text(`t${i}`), text(`${t.schema}.${t.table}`), this._removeTable(i))
    );
    const pick = this._select(
      'hk-Builder-addTable',
      [['', trans.__('Add a table…')], ...this._available.map(
        (t, i) => [String(i), `${t.schema}.${t.table}`] as [string, string]
      )],
      '',
      value => value !== '' && void this._addTable(this._available[Number(value)])
    );
    tableRows.push(this._row(pick));

    // Joins
    const joinRows = s.joins.map((j, i) =>
      this._row(
        this._select('hk-Builder-kind', JOIN_KINDS.map(k => [k, k.toUpperCase()]), j.kind, v => {
          j.kind = v;
          this._changed();
        }),
        this._columnSelect(j.left, j.left_column, (table, column) => {
          j.left = table;
          j.left_column = column;
          this._changed();
        }),
        text('='),
        this._columnSelect(j.right, j.right_column, (table, column) => {
          j.right = table;
          j.right_column = column;
          this._changed();
        })
      )
    );

    // Columns
    const columnRows = s.columns.map((c, i) =>
      this._row(
        this._select(
          'hk-Builder-aggregate',
          [['', trans.__('value')], ...AGGREGATES.map(a => [a, a.replace('_', ' ')] as [string, string])],
          c.aggregate ?? '',
          v => {
            if (v) {
              c.aggregate = v;
            } else {
              delete c.aggregate;
            }
            this._changed();
          }
        ),
        this._columnSelect(c.table, c.column, (table, column) => {
          c.table = table;
          c.column = column;
          this._changed();
        }),
        this._remove(s.columns, i)
      )
    );
    const addColumn = this._button(trans.__('+ Column'), trans.__('Add an output column'), () => {
      const first = this._columnsOf(0)[0];
      if (first) {
        s.columns.push({ table: 0, column: first.name });
        this._render();
        this._changed();
      }
    }, 'hk-Builder-addColumn');
    if (!s.columns.length) {
      columnRows.push(this._row(text(trans.__('All columns (*)'))));
    }
    columnRows.push(this._row(addColumn));

    // Filters
    const filterRows = s.filters.map((f, i) => this._filterRow(f, i));
    filterRows.push(
      this._row(
        this._button(trans.__('+ Filter'), trans.__('Add a filter'), () => {
          const first = this._columnsOf(0)[0];
          if (first) {
            s.filters.push({ table: 0, column: first.name, op: '=', value: null });
            this._render();
          }
        }, 'hk-Builder-addFilter')
      )
    );

    // Group by: by default the plain columns, when any column is aggregated
    const groups = (s.group_by ??= []);
    const groupRows = groups.map((g, i) =>
      this._row(
        this._columnSelect(g.table, g.column, (table, column) => {
          g.table = table;
          g.column = column;
          this._changed();
        }),
        this._remove(groups, i)
      )
    );
    if (!groups.length) {
      groupRows.push(this._row(text(trans.__('The plain columns, when a column is aggregated'))));
    }
    groupRows.push(
      this._row(
        this._button(trans.__('+ Group by'), trans.__('Group by a column'), () => {
          const first = this._columnsOf(0)[0];
          if (first) {
            groups.push({ table: 0, column: first.name });
            this._render();
            this._changed();
          }
        }, 'hk-Builder-addGroup')
      )
    );

    // Order and limit
    const outputs: [string, string][] = s.columns.map((c, i) => [
      String(i),
      c.aggregate ? `${c.aggregate}(${c.column})` : c.column
    ]);
    const orderRows = s.order_by.map((o, i) =>
      this._row(
        this._select('hk-Builder-order', outputs, String(o.output), v => {
          o.output = Number(v);
          this._changed();
        }),
        this._select(
          'hk-Builder-direction',
          [['asc', trans.__('ascending')], ['desc', trans.__('descending')]],
          o.descending ? 'desc' : 'asc',
          v => {
            o.descending = v === 'desc';
            this._changed();
          }
        ),
        this._remove(s.order_by, i)
      )
    );
    if (outputs.length) {
      orderRows.push(
        this._row(
          this._button(trans.__('+ Order'), trans.__('Sort by an output column'), () => {
            s.order_by.push({ output: 0, descending: false });
            this._render();
            this._changed();
          }, 'hk-Builder-addOrder')
        )
      );
    }
    const limit = el('input', 'jp-mod-styled hk-Builder-limit');
    limit.type = 'number';
    limit.min = '0';
    limit.placeholder = trans.__('none');
    limit.value = s.limit === null ? '' : String(s.limit);
    limit.setAttribute('aria-label', trans.__('Limit'));
    limit.addEventListener('change', () => {
      const n = Number(limit.value);
      s.limit = limit.value.trim() === '' || !Number.isInteger(n) || n < 0 ? null : n;
      this._changed();
    });
    orderRows.push(this._row(text(trans.__('Limit')), limit));

    const sections = [this._section(trans.__('Tables'), 'hk-Builder-tables', ...tableRows)];
    if (s.tables.length > 1) {
      sections.push(this._section(trans.__('Joins'), 'hk-Builder-joins', ...joinRows));
    }
    if (s.tables.length) {
      sections.push(
        this._section(trans.__('Columns'), 'hk-Builder-columns', ...columnRows),
        this._section(trans.__('Filters'), 'hk-Builder-filters', ...filterRows),
        this._section(trans.__('Group by'), 'hk-Builder-groups', ...groupRows),
        this._section(trans.__('Order and limit'), 'hk-Builder-orderLimit', ...orderRows)
      );
    }
    this._form.replaceChildren(...sections);
  }

  private _removeTable(index: number): HTMLElement {
    return this._button('×', this._trans.__('Remove the table'), () => {
      const s = this._state;
      // what names the table goes with it; higher numbers move down by one
      const keep = (t: number) => t !== index;
      const shift = (t: number) => (t > index ? t - 1 : t);
      s.tables.splice(index, 1);
      s.joins = s.joins
        .filter(j => keep(j.left) && keep(j.right))
        .map(j => ({ ...j, left: shift(j.left), right: shift(j.right) }));
      const removed = s.columns.map((c, i) => (keep(c.table) ? -1 : i)).filter(i => i >= 0);
      s.columns = s.columns.filter(c => keep(c.table)).map(c => ({ ...c, table: shift(c.table) }));
      s.filters = s.filters.filter(f => keep(f.table)).map(f => ({ ...f, table: shift(f.table) }));
      s.group_by = (s.group_by ?? [])
        .filter(g => keep(g.table))
        .map(g => ({ ...g, table: shift(g.table) }));
      s.order_by = s.order_by
        .filter(o => !removed.includes(o.output))
        .map(o => ({ ...o, output: o.output - removed.filter(r => r < o.output).length }));
      this._render();
      this._changed();
    }, 'hk-Builder-remove');
  }

  private async _addTable(table: { schema: string; table: string }): Promise<void> {
    const s = this._state;
    try {
      await this._loadColumns(table.schema, table.table);
      s.tables.push({ ...table });
      const added = s.tables.length - 1;
      if (added > 0) {
        const suggested = await suggestJoins(this._connection, s.tables);
        const join = suggested.find(
          j => (j.left === added && j.right < added) || (j.right === added && j.left < added)
        );
        if (join) {
          s.joins.push(join);
        } else {
          // no foreign key: the user picks the columns
          s.joins.push({
            left: 0,
            left_column: this._columnsOf(0)[0]?.name ?? '',
            right: added,
            right_column: this._columnsOf(added)[0]?.name ?? '',
            kind: 'inner'
          });
        }
      }
    } catch (reason) {
      this._error.textContent = errorText(reason);
    }
    this._render();
    this._changed();
  }

  private _filterRow(f: IBuilderState['filters'][number], index: number): HTMLElement {
    const trans = this._trans;
    const type = this._columnsOf(f.table).find(c => c.name === f.column)?.type ?? '';
    const kind = valueKind(type);
    const ops = kind === 'text' ? OPERATORS : OPERATORS.filter(o => o !== 'contains');
    const inputs: HTMLElement[] = [];
    const input = (value: unknown, set: (v: unknown) => void, label: string) => {
      if (kind === 'boolean') {
        return this._select('hk-Builder-value', [['true', 'true'], ['false', 'false']],
          String(value ?? true), v => {
            set(v === 'true');
            this._changed();
          });
      }
      const i = el('input', 'jp-mod-styled hk-Builder-value');
      i.type = kind === 'number' ? 'number' : kind === 'date' ? 'date' : 'text';
      i.setAttribute('aria-label', label);
      i.value = value === null || value === undefined ? '' : String(value);
      i.addEventListener('change', () => {
        const raw = i.value;
        if (kind === 'number') {
          const n = Number(raw);
          const bad = raw.trim() === '' || !Number.isFinite(n);
          i.classList.toggle('hk-mod-invalid', bad);
          set(bad ? null : n);
        } else {
          set(raw);
        }
        this._changed();
      });
      return i;
    };
    if (f.op === 'between') {
      const pair = Array.isArray(f.value) ? [...f.value] : [null, null];
      f.value = pair;
      inputs.push(
        input(pair[0], v => (pair[0] = v), trans.__('From')),
        input(pair[1], v => (pair[1] = v), trans.__('To'))
      );
    } else if (f.op === 'in') {
      const i = el('input', 'jp-mod-styled hk-Builder-value');
      i.placeholder = trans.__('values, comma-separated');
      i.value = Array.isArray(f.value) ? f.value.join(', ') : '';
      i.addEventListener('change', () => {
        const parts = i.value.split(',').map(p => p.trim()).filter(p => p !== '');
        f.value = kind === 'number' ? parts.map(Number) : parts;
        this._changed();
      });
      inputs.push(i);
    } else if (f.op !== 'null' && f.op !== 'notnull') {
      inputs.push(input(f.value, v => (f.value = v), trans.__('Value')));
    }
    const opLabels: Record<string, string> = {
      contains: trans.__('contains'),
      in: trans.__('is one of'),
      between: trans.__('between'),
      null: trans.__('is empty'),
      notnull: trans.__('is not empty')
    };
    return this._row(
      this._columnSelect(f.table, f.column, (table, column) => {
        f.table = table;
        f.column = column;
        f.value = null;
        this._render();
        this._changed();
      }),
      this._select('hk-Builder-op', ops.map(o => [o, opLabels[o] ?? o]), f.op, v => {
        const wasList = f.op === 'in' || f.op === 'between';
        f.op = v;
        if (wasList !== (v === 'in' || v === 'between')) {
          f.value = v === 'in' ? [] : v === 'between' ? [null, null] : null;
        }
        this._render();
        this._changed();
      }),
      ...inputs,
      this._remove(this._state.filters, index)
    );
  }

  /** Ask the server for the SQL and the preview, shortly after the last change. */
  private _changed(): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this._refresh(), 250);
  }

  private _prefix(): string {
    return `${this._output.value.trim() || 'df'}_p`;
  }

  private async _refresh(): Promise<void> {
    const request = ++this._request;
    if (!this._state.tables.length) {
      this._sql.textContent = '';
      this._params.textContent = '';
      this._preview.replaceChildren();
      this._error.textContent = this._trans.__('Pick a table to start.');
      this._built = null;
      this._insert.disabled = true;
      return;
    }
    this.addClass('hk-mod-loading');
    try {
      const built = await build(this._connection, this._state, this._prefix(), PREVIEW_ROWS);
      if (request !== this._request) {
        return;
      }
      this._built = built;
      this._sql.textContent = built.sql;
      const params = Object.entries(built.params);
      this._params.textContent = params.length
        ? this._trans.__(
            'Parameters: %1',
            params.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')
          )
        : '';
      this._error.textContent = '';
      this._previewWidget?.dispose(); // detaches it
      this._previewWidget = built.preview ? previewTable(built.preview, this._trans) : null;
      if (this._previewWidget) {
        Widget.attach(this._previewWidget, this._preview);
      }
    } catch (reason) {
      if (request !== this._request) {
        return;
      }
      this._built = null;
      this._error.textContent = errorText(reason);
    } finally {
      if (request === this._request) {
        this.removeClass('hk-mod-loading');
        this._insert.disabled = this._built === null;
      }
    }
  }

  private async _doInsert(): Promise<void> {
    const output = this._output.value.trim();
    if (!PYTHON_NAME.test(output)) {
      this._output.classList.add('hk-mod-invalid');
      this._error.textContent = this._trans.__('%1 is not a Python variable name', output);
      return;
    }
    this._output.classList.remove('hk-mod-invalid');
    try {
      // the SQL again, without a preview, with the parameters named after the variable
      const built = await build(this._connection, this._state, `${output}_p`, null);
      const state = JSON.parse(JSON.stringify(this._state)) as IBuilderState;
      if (!(await this._target.insert(output, built, state))) {
        this._error.textContent = this._trans.__('Open a notebook to insert the query into.');
      }
    } catch (reason) {
      this._error.textContent = errorText(reason);
    }
  }

  protected onBeforeDetach(): void {
    window.clearTimeout(this._timer);
  }

  dispose(): void {
    this._previewWidget?.dispose();
    super.dispose();
  }

  private _api: SqlApi;
  private _connection: string;
  private _state: IBuilderState;
  private _target: IBuilderTarget;
  private _trans: TranslationBundle;
  private _form: HTMLDivElement;
  private _sql: HTMLPreElement;
  private _params: HTMLDivElement;
  private _error: HTMLDivElement;
  private _preview: HTMLDivElement;
  private _previewWidget: Widget | null = null;
  private _output: HTMLInputElement;
  private _insert: HTMLButtonElement;
  private _available: { schema: string; table: string }[] = [];
  private _columns = new Map<string, IColumnInfo[]>();
  private _built: IBuilt | null = null;
  private _timer = 0;
  private _request = 0;
}
