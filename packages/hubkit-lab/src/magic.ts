/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { ISqlCellState } from './tokens';

/**
 * The cell magic of the kernel library (packages/hubkit-kernel) that runs a SQL cell.
 */
export const MAGIC = '%%sql_cell';

/**
 * A connection name as the kernel library accepts it (hubkit_kernel.sql.connections).
 */
export const CONNECTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/**
 * A Python identifier (ASCII), for the output variable.
 */
export const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The kernel library's defaults (SqlCellMagics.default_connection, default_output).
 */
export const DEFAULT_STATE: ISqlCellState = {
  connection: 'duckdb',
  output: 'df',
  limit: null
};

/**
 * Whether a cell's source is a SQL cell's: its first line is the magic.
 */
export function isSqlSource(source: string): boolean {
  const first = source.split('\n', 1)[0];
  return first === MAGIC || first.startsWith(MAGIC + ' ');
}

/**
 * What the magic line says; the kernel's defaults for what it does not say.
 */
export function parseMagic(line: string): ISqlCellState {
  const state = { ...DEFAULT_STATE };
  const words = line.trim().split(/\s+/).slice(1);
  for (let i = 0; i < words.length; i++) {
    let word = words[i];
    let value: string | undefined;
    const eq = word.indexOf('=');
    if (word.startsWith('--') && eq > 0) {
      value = word.slice(eq + 1);
      word = word.slice(0, eq);
    }
    const next = (): string => value ?? words[++i] ?? '';
    switch (word) {
      case '-c':
      case '--connection':
        state.connection = next();
        break;
      case '-o':
      case '--output':
        state.output = next();
        break;
      case '-l':
      case '--limit': {
        const n = parseInt(next(), 10);
        state.limit = Number.isFinite(n) && n >= 0 ? n : null;
        break;
      }
    }
  }
  return state;
}

/**
 * The magic line for a state: `%%sql_cell -c <conn> -o <var> -l <limit>`. Only valid names
 * are written, so nothing but options can reach the kernel through it.
 */
export function formatMagic(state: ISqlCellState): string {
  const parts = [MAGIC];
  if (CONNECTION_NAME.test(state.connection)) {
    parts.push('-c', state.connection);
  }
  if (PYTHON_NAME.test(state.output)) {
    parts.push('-o', state.output);
  }
  if (state.limit !== null && Number.isInteger(state.limit) && state.limit >= 0) {
    parts.push('-l', String(state.limit));
  }
  return parts.join(' ');
}

/**
 * The source with its first line replaced by the magic line of `state` (or the magic line
 * added before it when it is not a SQL cell's source yet).
 */
export function withMagic(source: string, state: ISqlCellState): string {
  const line = formatMagic(state);
  if (!isSqlSource(source)) {
    return `${line}\n${source}`;
  }
  const end = source.indexOf('\n');
  return end < 0 ? line : line + source.slice(end);
}

/**
 * The source without its magic line (a SQL cell turned back into Python).
 */
export function withoutMagic(source: string): string {
  if (!isSqlSource(source)) {
    return source;
  }
  const end = source.indexOf('\n');
  return end < 0 ? '' : source.slice(end + 1);
}
