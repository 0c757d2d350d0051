/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { requestAPI } from '../request';
import { IPreview } from '../tokens';

/**
 * A builder state as the kernel library reads it (hubkit_kernel.sql.builder.build_query).
 */
export interface IBuilderState {
  tables: { schema: string; table: string }[];
  joins: {
    left: number;
    left_column: string;
    right: number;
    right_column: string;
    kind: string;
  }[];
  columns: { table: number; column: string; aggregate?: string }[];
  filters: { table: number; column: string; op: string; value?: unknown }[];
  /** Empty: the plain columns, when any column is aggregated. */
  group_by?: { table: number; column: string }[];
  order_by: { output: number; descending: boolean }[];
  limit: number | null;
}

/**
 * What a SQL cell made by the builder keeps in `metadata.hubkit.builder`.
 */
export interface IBuilderCell {
  connection: string;
  state: IBuilderState;
}

/**
 * The answer of POST /hubkit-lab/builder/<connection>.
 */
export interface IBuilt {
  sql: string;
  params: Record<string, unknown>;
  preview?: IPreview;
}

export const AGGREGATES = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'];
export const OPERATORS = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'contains',
  'in',
  'between',
  'null',
  'notnull'
];
export const JOIN_KINDS = ['inner', 'left', 'right', 'full'];

export function emptyState(): IBuilderState {
  return { tables: [], joins: [], columns: [], filters: [], order_by: [], limit: 100 };
}

/**
 * How a column's values are typed in a filter, from its database type.
 */
export function valueKind(type: string): 'number' | 'date' | 'boolean' | 'text' {
  const t = type.toLowerCase();
  if (/bool/.test(t)) {
    return 'boolean';
  }
  if (/int|num|dec|real|float|double|serial|money/.test(t)) {
    return 'number';
  }
  if (/date|time/.test(t)) {
    return 'date';
  }
  return 'text';
}

function path(connection: string): string {
  return encodeURIComponent(connection);
}

/**
 * The SQL (and a preview of the first `n` rows) of a state; parameters named `<prefix>N`.
 */
export function build(
  connection: string,
  state: IBuilderState,
  prefix: string,
  n: number | null
): Promise<IBuilt> {
  const body: Record<string, unknown> = { state, prefix };
  if (n !== null) {
    body.n = n;
  }
  return requestAPI<IBuilt>(`builder/${path(connection)}`, {
    method: 'POST',
    body: JSON.stringify(body)
  });
}

/**
 * Joins suggested from foreign keys between the state's tables.
 */
export async function suggestJoins(
  connection: string,
  tables: IBuilderState['tables']
): Promise<IBuilderState['joins']> {
  const answer = await requestAPI<{ joins: IBuilderState['joins'] }>(
    `builder/${path(connection)}/joins`,
    { method: 'POST', body: JSON.stringify({ tables: tables.map(t => [t.schema, t.table]) }) }
  );
  return answer.joins;
}

/**
 * A value as a Python literal (JSON's strings and numbers are Python's too).
 */
export function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (value === true) {
    return 'True';
  }
  if (value === false) {
    return 'False';
  }
  return JSON.stringify(value);
}

/**
 * The Python cell that defines a builder cell's parameters.
 */
export function parametersSource(output: string, params: Record<string, unknown>): string {
  const lines = [`# Parameters of the query builder's SQL cell for ${output}`];
  for (const [name, value] of Object.entries(params)) {
    lines.push(`${name} = ${pythonLiteral(value)}`);
  }
  return lines.join('\n');
}
