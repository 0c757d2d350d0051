/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  buildIcon,
  caretDownIcon,
  caretRightIcon,
  editIcon,
  deleteIcon,
  LabIcon,
  searchIcon,
  tableRowsIcon,
  listIcon,
  folderIcon,
  SidePanel
} from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';

import { qualifiedName, quoteIdentifier, SqlApi } from './api';
import { errorText, previewTable } from './dialogs';
import { IColumnInfo, IConnectionSummary, ITableInfo } from './tokens';

/**
 * A database (a cylinder), in JupyterLab's icon colours (jp-icon3 follows the theme).
 */
export const databaseIcon = new LabIcon({
  name: 'hubkit-lab:database',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 3C7.58 3 4 4.34 4 6v12c0 1.66 3.58 3 8 3s8-1.34 8-3V6c0-1.66-3.58-3-8-3zm0 2c3.87 0 6 1.06 6 1s-2.13 1-6 1-6-.94-6-1 2.13-1 6-1zm6 13c0 .06-2.13 1-6 1s-6-.94-6-1v-2.23c1.45.77 3.63 1.23 6 1.23s4.55-.46 6-1.23V18zm0-4.5c0 .06-2.13 1-6 1s-6-.94-6-1v-2.23c1.45.77 3.63 1.23 6 1.23s4.55-.46 6-1.23v2.23zm0-4.5c0 .06-2.13 1-6 1s-6-.94-6-1V7.77C7.45 8.54 9.63 9 12 9s4.55-.46 6-1.23V9z"/>
  </g>
</svg>`
});

/**
 * What the panel needs from the notebooks: insert text at the active cell's cursor, add a
 * SQL cell.
 */
export interface IDatabasesActions {
  /** Insert text at the cursor of the active cell; false when there is none. */
  insert(text: string): boolean;
  /** Add a SQL cell below the active cell of the active notebook; false when there is none. */
  addSqlCell(connection: string, sql: string): Promise<boolean>;
  /** Open the "New connection" or "Edit connection" dialog. */
  editConnection(connection: IConnectionSummary | null): Promise<void>;
  /** Ask, then remove a personal connection. */
  removeConnection(connection: IConnectionSummary): Promise<void>;
  /** Open the query builder on a connection, starting from a table when one is given. */
  openBuilder?(connection: string, schema?: string, table?: string): void;
}

type Level = 'connection' | 'schema' | 'table' | 'column';

/**
 * Rows painted when a level opens, then per animation frame (see _renderRows).
 */
const FIRST_ROWS = 60;
const MORE_ROWS = 100;

/**
 * The catalog search: milliseconds of quiet typing before it asks, tables per connection.
 */
const SEARCH_DELAY = 250;
const SEARCH_LIMIT = 20;

/**
 * One row of the tree and its children (loaded when first expanded). Its elements are made
 * when first needed: a schema of 2,000 tables paints its first rows without making the
 * others' (the filter's state waits in `hidden` and `listHidden` until then).
 */
class TreeNode {
  constructor(
    readonly level: Level,
    readonly label: string,
    readonly depth: number
  ) {}

  get node(): HTMLLIElement {
    return this._node ?? this._build();
  }

  get row(): HTMLDivElement {
    if (!this._node) {
      this._build();
    }
    return this._row!;
  }

  get list(): HTMLUListElement {
    if (!this._node) {
      this._build();
    }
    return this._list!;
  }

  /** Hidden by the filter. */
  get hidden(): boolean {
    return this._hidden;
  }

  set hidden(value: boolean) {
    this._hidden = value;
    if (this._node) {
      this._node.hidden = value;
    }
  }

  /** Its children hidden (collapsed, or none passes the filter). */
  get listHidden(): boolean {
    return this._listHidden;
  }

  set listHidden(value: boolean) {
    this._listHidden = value;
    if (this._list) {
      this._list.hidden = value;
    }
  }

  private _build(): HTMLLIElement {
    const node = document.createElement('li');
    node.className = `hk-Databases-item hk-Databases-${this.level}`;
    node.setAttribute('role', 'treeitem');
    node.hidden = this._hidden;
    const row = document.createElement('div');
    row.className = 'hk-Databases-row';
    row.style.paddingLeft = `${4 + this.depth * 14}px`;
    const list = document.createElement('ul');
    list.className = 'hk-Databases-children';
    list.setAttribute('role', 'group');
    list.hidden = this._listHidden;
    node.append(row, list);
    this._node = node;
    this._row = row;
    this._list = list;
    return node;
  }

  private _node: HTMLLIElement | null = null;
  private _row: HTMLDivElement | null = null;
  private _list: HTMLUListElement | null = null;
  private _hidden = false;
  private _listHidden = false;
  children: TreeNode[] = [];
  expanded = false;
  loaded = false;
  loading: Promise<void> | null = null;
  connection: IConnectionSummary | null = null;
  schema = '';
  table: ITableInfo | null = null;
  column: IColumnInfo | null = null;
}

/**
 * The Databases panel: connections -> schemas -> tables and views -> columns, each level
 * loaded when expanded. The search box filters what is loaded and, as the user types, asks each
 * connection's catalog for the tables whose names contain the text in any schema, expanded or
 * not; those show below the tree as schema.table, and expand, insert and preview like it.
 */
export class DatabasesPanel extends SidePanel {
  constructor(api: SqlApi, actions: IDatabasesActions, trans: TranslationBundle) {
    super({ content: new Panel() });
    this._api = api;
    this._actions = actions;
    this._bundle = trans;
    this.id = 'hubkit-lab-databases';
    this.addClass('hk-Databases');
    this.title.icon = databaseIcon;
    this.title.caption = trans.__('Databases');

    const heading = new Widget();
    heading.node.textContent = trans.__('Databases');
    heading.addClass('jp-SidePanel-header');
    heading.addClass('hk-Databases-heading');
    this.header.addWidget(heading);

    const content = new Widget();
    this.addWidget(content);
    content.addClass('hk-Databases-content');
    const search = document.createElement('div');
    search.className = 'hk-Databases-search';
    this._search = document.createElement('input');
    this._search.className = 'jp-mod-styled';
    this._search.type = 'search';
    this._search.placeholder = trans.__('Search tables');
    this._search.setAttribute('aria-label', trans.__('Search tables'));
    this._search.addEventListener('input', () => {
      this._filter();
      this._scheduleSearch();
    });
    search.append(
      searchIcon.element({ tag: 'span', className: 'hk-Databases-searchIcon' }),
      this._search
    );
    this._tree = document.createElement('ul');
    this._tree.className = 'hk-Databases-tree';
    this._tree.setAttribute('role', 'tree');
    this._status = document.createElement('div');
    this._status.className = 'hk-Databases-status';
    this._empty = document.createElement('div');
    this._empty.className = 'hk-Databases-status';
    this._results = document.createElement('ul');
    this._results.className = 'hk-Databases-tree hk-Databases-results';
    this._results.setAttribute('role', 'tree');
    this._results.setAttribute('aria-label', trans.__('Tables found'));
    const scroll = document.createElement('div');
    scroll.className = 'hk-Databases-scroll';
    scroll.append(this._tree, this._results);
    content.node.append(search, this._status, this._empty, scroll);

    api.connectionsChanged.connect(() => void this.refresh(), this);
    void this.refresh();
  }

  /**
   * Load the connections again, then reopen what was expanded.
   */
  async refresh(): Promise<void> {
    const open = new Set<string>();
    const remember = (nodes: TreeNode[], prefix: string) => {
      for (const node of nodes) {
        if (node.expanded) {
          const key = `${prefix}/${node.label}`;
          open.add(key);
          remember(node.children, key);
        }
      }
    };
    remember(this._roots, '');
    this._status.textContent = this._bundle.__('Loading…');
    let connections: IConnectionSummary[];
    try {
      connections = await this._api.connections();
    } catch (reason) {
      this._status.textContent = this._bundle.__(
        'Cannot list the connections: %1',
        errorText(reason)
      );
      return;
    }
    this._status.textContent = '';
    this._roots = connections.map(c => {
      const node = new TreeNode('connection', c.name, 0);
      node.connection = c;
      this._render(node);
      return node;
    });
    this._tree.replaceChildren(...this._roots.map(n => n.node));
    const reopen = async (nodes: TreeNode[], prefix: string) => {
      for (const node of nodes) {
        const key = `${prefix}/${node.label}`;
        if (open.has(key)) {
          await this._toggle(node, true);
          await reopen(node.children, key);
        }
      }
    };
    await reopen(this._roots, '');
    this._filter();
    this._scheduleSearch();
  }

  private _render(node: TreeNode): void {
    const trans = this._bundle;
    const row = node.row;
    const expandable = node.level !== 'column';
    row.replaceChildren();
    const caret = document.createElement('span');
    caret.className = 'hk-Databases-caret';
    if (expandable) {
      (node.expanded ? caretDownIcon : caretRightIcon).element({ container: caret });
    }
    const icon = {
      connection: databaseIcon,
      schema: folderIcon,
      table: node.table?.kind === 'view' ? listIcon : tableRowsIcon,
      column: null
    }[node.level];
    const iconNode = document.createElement('span');
    iconNode.className = 'hk-Databases-icon';
    icon?.element({ container: iconNode });
    const label = document.createElement('span');
    label.className = 'hk-Databases-label';
    label.textContent = node.label;
    const detail = document.createElement('span');
    detail.className = 'hk-Databases-detail';
    row.append(caret, iconNode, label);

    if (node.connection) {
      const c = node.connection;
      const place = [c.host && `${c.host}${c.port ? `:${c.port}` : ''}`, c.database];
      const where = [c.dialect, place.filter(Boolean).join(' / ')].filter(Boolean).join(' · ');
      row.title = [c.name, where, c.description].filter(Boolean).join('\n');
      if (c.kind !== 'personal') {
        const badge = document.createElement('span');
        badge.className = 'hk-Databases-badge';
        badge.textContent = c.kind === 'shared' ? trans.__('shared') : trans.__('kernel');
        row.appendChild(badge);
      }
    } else if (node.table) {
      const t = node.table;
      if (t.kind === 'view') {
        detail.textContent = trans.__('view');
      } else if (t.estimated_rows !== null) {
        detail.textContent = trans._n('~%1 row', '~%1 rows', t.estimated_rows);
        detail.textContent = detail.textContent.replace(
          String(t.estimated_rows),
          t.estimated_rows.toLocaleString()
        );
      }
      row.title = `${t.schema}.${t.name}`;
    } else if (node.column) {
      const c = node.column;
      for (const [on, text, title] of [
        [c.primary_key, 'PK', trans.__('Primary key')],
        [c.foreign_keys.length > 0, 'FK', trans.__('Foreign key to %1', c.foreign_keys.join(', '))]
      ] as [boolean, string, string][]) {
        if (on) {
          const mark = document.createElement('span');
          mark.className = `hk-Databases-key hk-Databases-key-${text.toLowerCase()}`;
          mark.textContent = text;
          mark.title = title;
          row.appendChild(mark);
        }
      }
      detail.textContent = c.type + (c.nullable ? '' : ' NOT NULL');
      row.title = [
        `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`,
        ...c.foreign_keys.map(f => `→ ${f}`)
      ].join('\n');
    }
    row.appendChild(detail);

    const actions = document.createElement('span');
    actions.className = 'hk-Databases-actions';
    const button = (text: string, title: string, run: () => void, icon?: LabIcon) => {
      const b = document.createElement('button');
      b.className = 'jp-Button jp-mod-minimal hk-Databases-action';
      b.title = title;
      b.setAttribute('aria-label', title);
      if (icon) {
        icon.element({ container: b });
      } else {
        b.textContent = text;
      }
      b.addEventListener('click', event => {
        event.stopPropagation();
        run();
      });
      actions.appendChild(b);
    };
    if (node.connection?.editable) {
      const c = node.connection;
      button('', trans.__('Edit connection'), () => void this._actions.editConnection(c), editIcon);
      button('', trans.__('Remove connection'), () => void this._actions.removeConnection(c), deleteIcon);
    }
    const openBuilder = this._actions.openBuilder?.bind(this._actions);
    if (node.connection && openBuilder) {
      const name = node.connection.name;
      button('', trans.__('Build a query visually'), () => openBuilder(name), buildIcon);
    }
    if (node.table) {
      button(trans.__('Insert'), trans.__('Insert the name at the cursor'), () =>
        this._insert(node)
      );
      button(trans.__('Preview'), trans.__('Show the first rows'), () => void this._preview(node));
      if (openBuilder) {
        const { schema, name } = node.table;
        const connection = this._connectionOf(node).name;
        const title = trans.__('Build a query on this table visually');
        button('', title, () => openBuilder(connection, schema, name), buildIcon);
      }
    }
    if (node.column) {
      button(trans.__('Insert'), trans.__('Insert the name at the cursor'), () =>
        this._insert(node)
      );
    }
    row.appendChild(actions);

    if (expandable) {
      node.node.setAttribute('aria-expanded', String(node.expanded));
    }
    row.onclick = () => {
      if (expandable) {
        void this._toggle(node);
      }
    };
    row.ondblclick = () => {
      if (node.table || node.column) {
        this._insert(node);
      }
    };
    node.listHidden = !node.expanded;
  }

  private async _toggle(node: TreeNode, open?: boolean): Promise<void> {
    node.expanded = open ?? !node.expanded;
    if (node.expanded && !node.loaded) {
      node.loading ??= this._load(node).finally(() => (node.loading = null));
      this._render(node);
      await node.loading;
    }
    this._render(node);
  }

  private async _load(node: TreeNode): Promise<void> {
    const api = this._api;
    const connection = this._connectionOf(node);
    const name = connection.name;
    const depth = node.depth + 1;
    if (connection.kind === 'builtin') {
      // Its tables are the DataFrames and files of each kernel: none on the server
      node.list.replaceChildren(
        this._message(
          this._bundle.__(
            'DuckDB in each kernel: query the notebook\'s DataFrames and files by name'
          ),
          depth,
          'hk-Databases-note'
        )
      );
      node.loaded = true;
      return;
    }
    node.list.replaceChildren(this._message(this._bundle.__('Loading…'), depth));
    try {
      if (node.level === 'connection') {
        node.children = (await api.schemas(name)).map(s => {
          const child = new TreeNode('schema', s, depth);
          child.schema = s;
          return child;
        });
      } else if (node.level === 'schema') {
        node.children = (await api.tables(name, node.schema)).map(t => {
          const child = new TreeNode('table', t.name, depth);
          child.schema = node.schema;
          child.table = t;
          return child;
        });
      } else if (node.level === 'table' && node.table) {
        node.children = (await api.columns(name, node.schema, node.table.name)).map(c => {
          const child = new TreeNode('column', c.name, depth);
          child.schema = node.schema;
          child.table = null;
          child.column = c;
          return child;
        });
        for (const child of node.children) {
          this._parents.set(child, node);
        }
      }
    } catch (reason) {
      node.expanded = false;
      node.list.replaceChildren(
        this._message(errorText(reason), depth, 'hk-Databases-error')
      );
      node.listHidden = false;
      return;
    }
    for (const child of node.children) {
      if (!this._parents.has(child)) {
        this._parents.set(child, node);
      }
    }
    node.loaded = true;
    if (!node.children.length) {
      node.list.replaceChildren(this._message(this._bundle.__('Empty'), depth));
    } else {
      this._renderRows(node, node.children);
    }
    this._filter();
  }

  /**
   * Add the rows of `children` to the node's list: the first screenfuls at once, the rest a
   * chunk after each paint, so a schema of thousands of tables paints at once and stays
   * responsive while the others are laid out (search filters every loaded name meanwhile).
   */
  private _renderRows(node: TreeNode, children: TreeNode[]): void {
    const chunk = (from: number, count: number): number => {
      const end = Math.min(from + count, children.length);
      const fragment = document.createDocumentFragment();
      for (let i = from; i < end; i++) {
        this._render(children[i]);
        fragment.appendChild(children[i].node);
      }
      node.list.appendChild(fragment);
      return end;
    };
    node.list.replaceChildren();
    let done = chunk(0, FIRST_ROWS);
    // each chunk after the browser painted the last one (a frame, then a task): laying out
    // the next 100 rows in the frame that paints the first ones delayed them by as long
    const next = () => requestAnimationFrame(() => setTimeout(more, 0));
    const more = () => {
      if (done < children.length && node.children === children && !this.isDisposed) {
        done = chunk(done, MORE_ROWS);
        next();
      }
    };
    next();
  }

  private _message(text: string, depth: number, className = ''): HTMLLIElement {
    const li = document.createElement('li');
    li.className = `hk-Databases-message ${className}`;
    li.style.paddingLeft = `${22 + depth * 14}px`;
    li.textContent = text;
    return li;
  }

  private _connectionOf(node: TreeNode): IConnectionSummary {
    let current: TreeNode | undefined = node;
    while (current && !current.connection) {
      current = this._parents.get(current);
    }
    return current!.connection!;
  }

  private _tableOf(node: TreeNode): TreeNode {
    return node.table ? node : this._parents.get(node)!;
  }

  private _insert(node: TreeNode): void {
    const dialect = this._connectionOf(node).dialect;
    const text = node.column
      ? quoteIdentifier(dialect, node.column.name)
      : qualifiedName(dialect, node.schema, node.table!.name);
    if (!this._actions.insert(text)) {
      void showErrorMessage(
        this._bundle.__('No active cell'),
        this._bundle.__('Open a notebook and select a cell to insert %1 into.', text)
      );
    }
  }

  private async _preview(node: TreeNode): Promise<void> {
    const tableNode = this._tableOf(node);
    const table = tableNode.table!;
    const connection = this._connectionOf(node);
    let widget: Widget;
    try {
      widget = previewTable(
        await this._api.preview(connection.name, table.schema, table.name, 20),
        this._bundle
      );
    } catch (reason) {
      await showErrorMessage(
        this._bundle.__('Cannot preview %1', table.name),
        errorText(reason)
      );
      return;
    }
    const sql = `SELECT * FROM ${qualifiedName(connection.dialect, table.schema, table.name)} LIMIT 20`;
    const result = await showDialog({
      title: this._bundle.__('%1.%2 (%3)', table.schema, table.name, connection.name),
      body: widget,
      buttons: [
        Dialog.cancelButton({ label: this._bundle.__('Close') }),
        Dialog.okButton({ label: this._bundle.__('Open in a SQL cell') })
      ]
    });
    if (result.button.accept) {
      if (!(await this._actions.addSqlCell(connection.name, sql))) {
        await showErrorMessage(
          this._bundle.__('No active notebook'),
          this._bundle.__('Open a notebook to add the SQL cell to.')
        );
      }
    }
  }

  /**
   * Show the loaded names that contain the search text, with their ancestors.
   */
  private _filter(): void {
    const query = this._search.value.trim().toLowerCase();
    const visit = (node: TreeNode): boolean => {
      const own = query === '' || node.label.toLowerCase().includes(query);
      let below = false;
      for (const child of node.children) {
        below = visit(child) || below;
      }
      if (query === '') {
        node.hidden = false;
        node.listHidden = !node.expanded;
        for (const child of node.children) {
          child.hidden = false;
        }
        return true;
      }
      if (own) {
        // a match shows with whatever of it was expanded, unfiltered
        for (const child of node.children) {
          child.hidden = false;
        }
      }
      node.hidden = !(own || below);
      node.listHidden = !(below || (own && node.expanded));
      return own || below;
    };
    for (const root of this._roots) {
      visit(root);
    }
  }

  private _scheduleSearch(): void {
    window.clearTimeout(this._searchTimer);
    this._empty.textContent = ''; // what it said was about the text before
    if (!this._search.value.trim()) {
      void this._searchCatalogs(); // clears the results at once
      return;
    }
    this._searchTimer = window.setTimeout(() => void this._searchCatalogs(), SEARCH_DELAY);
  }

  /**
   * Ask every connection's catalog (but the kernel's DuckDB, whose tables are each kernel's)
   * for the tables containing the search text; list those the tree does not show already.
   */
  private async _searchCatalogs(): Promise<void> {
    const text = this._search.value.trim();
    const asked = ++this._searchCount;
    if (!text) {
      this._results.replaceChildren();
      this._empty.textContent = '';
      return;
    }
    const trans = this._bundle;
    this._empty.textContent = trans.__('Searching…');
    const roots = this._roots.filter(r => r.connection?.kind !== 'builtin');
    const answers = await Promise.all(
      roots.map(root =>
        this._api.search(root.label, text, SEARCH_LIMIT).then(
          found => ({ root, found, error: '' }),
          reason => ({ root, found: null, error: errorText(reason) })
        )
      )
    );
    if (asked !== this._searchCount || this.isDisposed) {
      return; // the user typed on
    }
    const items: HTMLLIElement[] = [];
    let tables = 0;
    for (const { root, found, error } of answers) {
      if (!found) {
        items.push(this._message(trans.__('%1: %2', root.label, error), 0, 'hk-Databases-error'));
        continue;
      }
      const shown = found.tables.filter(t => !this._shownInTree(root, t));
      tables += shown.length;
      if (shown.length) {
        const heading = this._message(root.label, 0, 'hk-Databases-resultsHeading');
        heading.style.paddingLeft = '8px';
        heading.title = trans.__('Tables of %1 whose names contain "%2"', root.label, text);
        items.push(heading);
      }
      for (const t of shown) {
        const node = new TreeNode('table', `${t.schema}.${t.name}`, 0);
        node.schema = t.schema;
        node.table = t;
        this._parents.set(node, root);
        this._render(node);
        items.push(node.node);
      }
      if (found.more) {
        items.push(
          this._message(
            trans.__('More tables of %1 contain "%2": type more of the name', root.label, text),
            0,
            'hk-Databases-note'
          )
        );
      }
    }
    this._results.replaceChildren(...items);
    const inTree = this._roots.some(r => !r.hidden);
    this._empty.textContent =
      !tables && !inTree && !items.length
        ? trans.__('No table or loaded name contains "%1"', text)
        : '';
  }

  /**
   * Whether the tree shows this table now: it is loaded and passes the filter.
   */
  private _shownInTree(root: TreeNode, table: ITableInfo): boolean {
    const schema = root.children.find(s => s.schema === table.schema);
    const node = schema?.children.find(t => t.table?.name === table.name);
    return !!(schema && node && schema.expanded && !schema.hidden && !node.hidden);
  }

  private _api: SqlApi;
  private _actions: IDatabasesActions;
  private _bundle: TranslationBundle;
  private _search: HTMLInputElement;
  private _tree: HTMLUListElement;
  private _status: HTMLDivElement;
  private _empty: HTMLDivElement;
  private _results: HTMLUListElement;
  private _searchTimer = 0;
  private _searchCount = 0;
  private _roots: TreeNode[] = [];
  private _parents = new Map<TreeNode, TreeNode>();
}
