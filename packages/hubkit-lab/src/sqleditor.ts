/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  autocompletion,
  Completion,
  CompletionContext,
  CompletionResult
} from '@codemirror/autocomplete';
import {
  keywordCompletionSource,
  MariaSQL,
  MySQL,
  PostgreSQL,
  sql,
  SQLDialect,
  SQLite,
  StandardSQL
} from '@codemirror/lang-sql';
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
 * Completion of keywords, schemas, tables (of the default schema, or of `schema.`) and
 * columns (`table.` or `schema.table.`), from the catalog, loaded when first needed.
 */
export function catalogCompletion(
  source: ICatalogSource
): (context: CompletionContext) => Promise<CompletionResult | null> {
  return async (context: CompletionContext) => {
    if (context.pos <= context.state.doc.line(1).to) {
      return null; // the magic line
    }
    const match = context.matchBefore(/(?:[\w$]+\.){0,2}[\w$]*/);
    if (!match || (match.from === match.to && !context.explicit)) {
      return null;
    }
    const parts = match.text.split('.');
    const word = parts.pop() ?? '';
    const from = match.to - word.length;
    const options: Completion[] = [];
    const tableOptions = (tables: ITableInfo[]): Completion[] =>
      tables.map(t => ({
        label: t.name,
        type: TABLE_TYPES[t.kind],
        detail: [t.kind, formatRows(t.estimated_rows, t.kind === 'dataframe')].filter(Boolean).join(' '),
        boost: 1
      }));
    const columnOptions = (columns: IColumnInfo[]): Completion[] =>
      columns.map(c => ({
        label: c.name,
        type: 'property',
        detail: c.type + (c.primary_key ? ' PK' : '') + (c.foreign_keys.length ? ' FK' : ''),
        boost: 2
      }));
    try {
      const schemas = await source.schemas();
      if (parts.length === 0) {
        const keywords = keywordCompletionSource(sqlDialect(source.dialect()), true)(
          context
        ) as CompletionResult | null;
        options.push(...(keywords?.options ?? []));
        options.push(
          ...schemas.map(s => ({ label: s, type: 'namespace', detail: 'schema' }))
        );
        const schema = await source.defaultSchema();
        if (schema !== null) {
          options.push(...tableOptions(await source.tables(schema)));
        }
      } else if (parts.length === 1) {
        const schema = schemas.find(s => sameName(s, parts[0]));
        if (schema !== undefined) {
          options.push(...tableOptions(await source.tables(schema)));
        } else {
          const home = await source.defaultSchema();
          const table =
            home === null
              ? undefined
              : (await source.tables(home)).find(t => sameName(t.name, parts[0]));
          if (home !== null && table) {
            options.push(...columnOptions(await source.columns(home, table.name)));
          }
        }
      } else {
        const schema = schemas.find(s => sameName(s, parts[0]));
        const table =
          schema === undefined
            ? undefined
            : (await source.tables(schema)).find(t => sameName(t.name, parts[1]));
        if (schema !== undefined && table) {
          options.push(...columnOptions(await source.columns(schema, table.name)));
        }
      }
    } catch (reason) {
      console.warn('hubkit-lab: no catalog for completion', reason);
    }
    if (!options.length) {
      return null;
    }
    return { from, options, validFor: /^[\w$]*$/ };
  };
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
