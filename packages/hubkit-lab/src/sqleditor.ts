/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  autocompletion,
  Completion,
  CompletionContext,
  CompletionResult,
  CompletionSource
} from '@codemirror/autocomplete';
import {
  keywordCompletionSource,
  MariaSQL,
  MySQL,
  PostgreSQL,
  schemaCompletionSource,
  sql,
  SQLDialect,
  SQLite,
  SQLNamespace,
  StandardSQL
} from '@codemirror/lang-sql';
import { syntaxTree } from '@codemirror/language';
import {
  ChangeSpec,
  Compartment,
  EditorState,
  Extension,
  Prec,
  RangeSetBuilder,
  StateField,
  Transaction
} from '@codemirror/state';
import { Decoration, DecorationSet, EditorView } from '@codemirror/view';

import { IColumnInfo, ITableInfo } from './tokens';

/**
 * The compartment every editor gets (empty), reconfigured to SQL in a SQL cell's editor.
 */
export const sqlCompartment = new Compartment();

/**
 * What a SQL cell's completion reads: the catalog of the cell's current connection.
 */
export interface ICatalogSource {
  /** SQLAlchemy's dialect of the connection, '' when not known yet. */
  dialect(): string;
  /** The schema names, to complete and to qualify. */
  schemas(): Promise<string[]>;
  /** The schema an unqualified table name is looked up in. */
  defaultSchema(): Promise<string | null>;
  tables(schema: string): Promise<ITableInfo[]>;
  columns(schema: string, table: string): Promise<IColumnInfo[]>;
}

/**
 * lang-sql's dialect for SQLAlchemy's dialect name.
 */
export function sqlDialect(dialect: string): SQLDialect {
  switch (dialect) {
    case 'postgresql':
    case 'duckdb':
      return PostgreSQL;
    case 'mysql':
      return MySQL;
    case 'mariadb':
      return MariaSQL;
    case 'sqlite':
      return SQLite;
    default:
      return StandardSQL;
  }
}

const CSS_MAGIC_LINE = 'hk-SqlCell-magicLine';

/**
 * The magic line (the first) marked, so that it shows dimmed: the toolbar changes it.
 */
const magicLine = StateField.define<DecorationSet>({
  create: state => decorateFirstLine(state.doc.line(1).from),
  update: (decorations, tr) =>
    tr.docChanged ? decorateFirstLine(0) : decorations,
  provide: field => EditorView.decorations.from(field)
});

function decorateFirstLine(from: number): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  builder.add(from, from, Decoration.line({ class: CSS_MAGIC_LINE }));
  return builder.finish();
}

/**
 * The magic line is the toolbar's: what the user types or deletes there is dropped (a
 * deletion that spans it, as select-all and type, keeps the magic line and replaces the
 * rest). Only the user's edits: changes that come through the shared model (the toolbar,
 * undo, collaborators) pass.
 */
export const guardMagicLine = EditorState.transactionFilter.of(
  (tr: Transaction) => {
    if (
      !tr.docChanged ||
      !(tr.isUserEvent('input') || tr.isUserEvent('delete') || tr.isUserEvent('move'))
    ) {
      return tr;
    }
    const doc = tr.startState.doc;
    const end = doc.line(1).to; // the end of the magic line, before its line break
    const limit = doc.lines > 1 ? end + 1 : end; // the start of the SQL
    const kept: ChangeSpec[] = [];
    let changed = false;
    let cursor = -1;
    tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
      const text = inserted.toString();
      if (fromA >= limit) {
        kept.push({ from: fromA, to: toA, insert: text });
      } else if (fromA === end && toA === end && text.startsWith('\n')) {
        kept.push({ from: fromA, to: toA, insert: text }); // a new line after the magic
      } else if (toA >= limit && doc.lines > 1 && !(toA === limit && text === '')) {
        // a change spanning the magic line and the SQL (select-all, then type or paste):
        // its SQL part
        kept.push({ from: limit, to: toA, insert: text });
        cursor = limit + text.length;
        changed = true;
      } else {
        changed = true; // inside the magic line, or joining the SQL to it
      }
    });
    if (!changed) {
      return tr;
    }
    if (!kept.length) {
      return [];
    }
    return {
      changes: kept,
      selection: kept.length === 1 && cursor >= 0 ? { anchor: cursor } : undefined,
      userEvent: tr.annotation(Transaction.userEvent),
      scrollIntoView: true
    };
  }
);

/**
 * The completion popup and the magic line in JupyterLab's colours (light and dark themes).
 */
const theme = EditorView.theme({
  [`.${CSS_MAGIC_LINE}`]: {
    opacity: '0.6'
  },
  '.cm-tooltip.cm-tooltip-autocomplete': {
    background: 'var(--jp-layout-color1)',
    color: 'var(--jp-ui-font-color1)',
    border: 'var(--jp-border-width) solid var(--jp-border-color1)',
    boxShadow: 'var(--jp-elevation-z6)',
    fontFamily: 'var(--jp-code-font-family)',
    fontSize: 'var(--jp-code-font-size)'
  },
  '.cm-tooltip.cm-tooltip-autocomplete > ul > li': {
    padding: '1px 8px 1px 4px'
  },
  '.cm-tooltip.cm-tooltip-autocomplete > ul > li[aria-selected]': {
    background: 'var(--jp-brand-color1)',
    color: 'var(--jp-ui-inverse-font-color1)'
  },
  '.cm-completionDetail': {
    color: 'var(--jp-ui-font-color2)',
    marginLeft: '1em',
    fontStyle: 'normal'
  },
  '.cm-tooltip-autocomplete li[aria-selected] .cm-completionDetail': {
    color: 'var(--jp-ui-inverse-font-color2)'
  },
  '.cm-completionMatchedText': {
    textDecoration: 'none',
    fontWeight: 'bold'
  }
});

/**
 * A catalog's estimate ("~1,200 rows"), or a DataFrame's exact count ("1 row").
 */
function formatRows(rows: number | null, exact: boolean): string {
  if (rows === null) {
    return '';
  }
  return `${exact ? '' : '~'}${rows.toLocaleString()} ${rows === 1 ? 'row' : 'rows'}`;
}

/**
 * The completion icon of each kind of table: the kernel's DataFrames and files are variables.
 */
const TABLE_TYPES: Record<ITableInfo['kind'], string> = {
  table: 'class',
  view: 'interface',
  dataframe: 'variable',
  file: 'variable'
};

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The columns of at most this many tables of a statement's FROM and JOIN clauses complete
 * unqualified (each table's columns are asked for once, then cached by the API).
 */
const MAX_FROM_TABLES = 8;

/** An identifier as lang-sql's parser reads it: plain, or quoted with "", `` or []. */
const IDENTIFIER = '(?:[\\w$]+|"[^"]*"|`[^`]*`|\\[[^\\]]*\\])';

/** The qualifiers before the word at the cursor (`sales.products.pr` -> sales, products). */
const QUALIFIERS = new RegExp(`((?:${IDENTIFIER}\\s*\\.\\s*)+)["\`\\[]?[\\w$]*$`);

/** Keywords that open the clauses naming tables, and those that close them. */
const TABLES_START = new Set(['from', 'join', 'update', 'into']);
const TABLES_END = new Set(
  (
    'select where group having order union intersect except limit offset fetch for on ' +
    'using set values window qualify returning'
  ).split(' ')
);

function unquote(name: string): string {
  const quoted = /^(["`[])(.*)(["`\]])$/.exec(name);
  return quoted ? quoted[2] : name;
}

/**
 * The names before the word at the cursor, joined by dots: what to load before lang-sql
 * resolves them (it keeps its own resolution to itself).
 */
function qualifiers(context: CompletionContext): string[] {
  const line = context.state.doc.lineAt(context.pos);
  const found = QUALIFIERS.exec(context.state.sliceDoc(line.from, context.pos));
  if (!found) {
    return [];
  }
  return (found[1].match(new RegExp(IDENTIFIER, 'g')) ?? []).map(unquote).slice(-2);
}

/**
 * The tables the statement at `pos` names in its FROM and JOIN clauses (and UPDATE, INSERT
 * INTO), as [table] or [schema, table]. Hand-written over lang-sql's syntax tree: lang-sql
 * completes the columns of one `defaultTable` only, and the tables it reads from a FROM clause
 * (for aliases) are internal to it.
 */
function tablesInStatement(state: EditorState, pos: number): string[][] {
  let statement: ReturnType<typeof syntaxTree>['topNode'] | null = null;
  for (let node = syntaxTree(state).topNode.firstChild; node; node = node.nextSibling) {
    if (node.name === 'Statement' && node.from < pos) {
      statement = node;
    }
  }
  const found: string[][] = [];
  let inTables = false;
  let expectTable = false;
  for (
    let node = statement?.firstChild ?? null;
    node && found.length < MAX_FROM_TABLES;
    node = node.nextSibling
  ) {
    const text = state.sliceDoc(node.from, node.to);
    if (node.name === 'Keyword') {
      const keyword = text.toLowerCase();
      if (TABLES_START.has(keyword)) {
        inTables = expectTable = true;
      } else if (TABLES_END.has(keyword)) {
        inTables = false;
      }
    } else if (inTables && text === ',') {
      expectTable = true;
    } else if (inTables && expectTable && /Identifier$/.test(node.name)) {
      const path: string[] = [];
      if (node.name === 'CompositeIdentifier') {
        for (let part = node.firstChild; part; part = part.nextSibling) {
          if (/Identifier$/.test(part.name)) {
            path.push(unquote(state.sliceDoc(part.from, part.to)));
          }
        }
      } else {
        path.push(unquote(text));
      }
      found.push(path);
      expectTable = false; // the next name is an alias
    }
  }
  return found;
}

/** A name lang-sql's schema completion takes as one key: its dots escaped. */
function key(name: string): string {
  return name.replace(/\./g, '\\.');
}

/**
 * A name's completion, quoted when it must be, as lang-sql quotes the names it is given as
 * plain strings: anything but a plain lower-case identifier (any case, where the dialect's
 * identifiers ignore it).
 */
function nameOption(
  dialect: SQLDialect,
  name: string,
  option: Omit<Completion, 'label'>
): Completion {
  const flags = dialect.spec.caseInsensitiveIdentifiers ? 'i' : '';
  const plain = new RegExp('^[a-z_][a-z_\\d]*$', flags);
  if (plain.test(name)) {
    return { label: name, ...option };
  }
  const open = dialect.spec.identifierQuotes?.[0] ?? '"';
  return { label: name, apply: open + name + (open === '[' ? ']' : open), ...option };
}

const keywordSources = new Map<SQLDialect, CompletionSource>();

/**
 * Completion from the catalog of the cell's connection, loaded when first needed: keywords of
 * the dialect; schemas; the default schema's tables, and a schema's after `schema.`; the
 * columns of a table (or of its alias) after `table.` or `schema.table.`; and, unqualified,
 * the columns of the tables the statement names in FROM and JOIN. lang-sql's
 * `schemaCompletionSource` does the matching on a namespace of what is loaded.
 */
export function catalogCompletion(source: ICatalogSource): CompletionSource {
  return async (context: CompletionContext) => {
    if (context.pos <= context.state.doc.line(1).to) {
      return null; // the magic line
    }
    if (!context.explicit && !context.matchBefore(/[\w$."`[]$/)) {
      return null;
    }
    const dialect = sqlDialect(source.dialect());
    const path = qualifiers(context);
    const tables = new Map<string, ITableInfo[]>();
    const columns = new Map<string, IColumnInfo[]>(); // by schema, NUL, table
    // After `name.`, a schema or table is also keyed as typed: lang-sql matches names exactly
    const spelled = new Map<string, Set<string>>();
    const spell = (id: string, typed: string) =>
      spelled.set(id, (spelled.get(id) ?? new Set<string>()).add(typed));
    const keys = (id: string, name: string) => [name, ...(spelled.get(id) ?? [])].map(key);
    let spellTables = false; // after `table.`, `schema.table.` or `alias.`
    let schemas: string[] = [];
    let home: string | null = null;
    const tablesOf = async (schema: string): Promise<ITableInfo[]> => {
      if (!tables.has(schema)) {
        tables.set(schema, await source.tables(schema));
      }
      return tables.get(schema) ?? [];
    };
    // The columns of [table] (in the default schema) or [schema, table], when it exists
    const loadColumns = async (names: string[]): Promise<IColumnInfo[]> => {
      let schema: string | null | undefined = home;
      if (names.length === 2) {
        schema = schemas.find(s => sameName(s, names[0]));
      } else if (names.length !== 1) {
        return [];
      }
      const name = names[names.length - 1];
      const table =
        schema === null || schema === undefined
          ? undefined
          : (await tablesOf(schema)).find(t => sameName(t.name, name));
      if (schema === null || schema === undefined || !table) {
        return [];
      }
      const found = await source.columns(schema, table.name);
      columns.set(`${schema}\0${table.name}`, found);
      if (spellTables) {
        spell(`${schema}\0${table.name}`, name);
        if (names.length === 2) {
          spell(schema, names[0]);
        }
      }
      return found;
    };
    const unqualified = new Map<string, Completion>();
    try {
      schemas = await source.schemas();
      home = await source.defaultSchema();
      if (home !== null) {
        await tablesOf(home);
      }
      const schema = path.length === 1 ? schemas.find(s => sameName(s, path[0])) : undefined;
      spellTables = path.length > 0 && schema === undefined;
      if (schema !== undefined) {
        await tablesOf(schema); // after `schema.`
        spell(schema, path[0]);
      } else if (path.length) {
        await loadColumns(path); // after `table.` or `schema.table.`
      }
      for (const named of tablesInStatement(context.state, context.pos)) {
        const table = named[named.length - 1];
        for (const c of await loadColumns(named)) {
          if (!unqualified.has(c.name)) {
            unqualified.set(c.name, columnOption(dialect, c, table));
          }
        }
      }
    } catch (reason) {
      console.warn('hubkit-lab: no catalog for completion', reason);
    }

    const namespace: Record<string, SQLNamespace> = {};
    for (const schema of schemas) {
      const children: Record<string, SQLNamespace> = {};
      for (const t of tables.get(schema) ?? []) {
        const id = `${schema}\0${t.name}`;
        const table: SQLNamespace = {
          self: nameOption(dialect, t.name, {
            type: TABLE_TYPES[t.kind],
            detail: [t.kind, formatRows(t.estimated_rows, t.kind === 'dataframe')]
              .filter(Boolean)
              .join(' '),
            boost: 1
          }),
          children: (columns.get(id) ?? []).map(c => columnOption(dialect, c))
        };
        keys(id, t.name).forEach(k => (children[k] = table));
      }
      const entry: SQLNamespace = {
        self: nameOption(dialect, schema, { type: 'namespace', detail: 'schema' }),
        children
      };
      keys(schema, schema).forEach(k => (namespace[k] = entry));
    }
    const found = (await schemaCompletionSource({
      dialect,
      schema: namespace,
      defaultSchema: home ?? undefined
    })(context)) as CompletionResult | null;
    if (path.length) {
      return found?.options.length ? found : null;
    }

    // At the top level: also the keywords, and the columns of the statement's tables
    let keywords = keywordSources.get(dialect);
    if (!keywords) {
      keywords = keywordCompletionSource(dialect, true);
      keywordSources.set(dialect, keywords);
    }
    const words = (await keywords(context)) as CompletionResult | null;
    const options = [...(found?.options ?? []), ...(words?.options ?? [])];
    const quoted = found && /^["`[]/.test(context.state.sliceDoc(found.from, found.from + 1));
    if (!quoted) {
      const taken = new Set(options.map(o => o.label));
      options.push(...[...unqualified.values()].filter(o => !taken.has(o.label)));
    }
    if (!options.length) {
      return null;
    }
    return {
      from: found?.from ?? words?.from ?? context.pos,
      to: found?.to,
      options,
      validFor: found?.validFor ?? /^\w*$/
    };
  };
}

/**
 * A column's completion, with its type and keys (and its table, when unqualified).
 */
function columnOption(dialect: SQLDialect, c: IColumnInfo, table = ''): Completion {
  const keys = (c.primary_key ? ' PK' : '') + (c.foreign_keys.length ? ' FK' : '');
  return nameOption(dialect, c.name, {
    type: 'property',
    detail: (table ? `${table} · ` : '') + c.type + keys,
    boost: 2
  });
}

/**
 * What a SQL cell's editor gets: SQL highlighting for the connection's dialect (over the
 * kernel's language), completion from the catalog, the magic line dimmed.
 */
export function sqlEditorExtensions(source: ICatalogSource): Extension {
  return [
    Prec.highest(sql({ dialect: sqlDialect(source.dialect()), upperCaseKeywords: true })),
    autocompletion({ override: [catalogCompletion(source)], icons: true }),
    magicLine,
    guardMagicLine,
    theme
  ];
}
