/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

/**
 * What GET /hubkit-lab/server answers: the profile and size the user picked on the hub's
 * spawn form, and the limits JupyterHub gives the server. Each is null when unknown.
 */
export interface IServerInfo {
  /** The profile's slug, e.g. `python-sql` (HUBKIT_PROFILE). */
  profile: string | null;
  /** The profile's display name, e.g. `Python & SQL` (HUBKIT_PROFILE_NAME). */
  profile_name: string | null;
  /** The size's slug, e.g. `small` (HUBKIT_SIZE). */
  size: string | null;
  /** The size's display name, e.g. `Small` (HUBKIT_SIZE_NAME). */
  size_name: string | null;
  /** CPUs the server may use (JupyterHub's CPU_LIMIT). */
  cpu_limit: number | null;
  /** Bytes of memory the server may use (JupyterHub's MEM_LIMIT). */
  mem_limit: number | null;
}

/**
 * The command ids of hubkit-lab.
 */
export enum CommandIDs {
  /** Turn the selected cells into SQL cells. */
  changeToSql = 'hubkit-lab:change-to-sql-cell',
  /** Open the Databases panel. */
  openDatabases = 'hubkit-lab:open-databases',
  /** Refresh the Databases panel: connections, then what was expanded. */
  refreshDatabases = 'hubkit-lab:refresh-databases',
  /** Open the "New connection" dialog. */
  newConnection = 'hubkit-lab:new-connection',
  openBuilder = 'hubkit-lab:open-query-builder',
  /** A new notebook from one of the admin's templates (the launcher's Templates section). */
  newFromTemplate = 'hubkit-lab:new-from-template'
}

/**
 * A connection as GET /hubkit-lab/connections lists it: never its user or password.
 */
export interface IConnectionSummary {
  name: string;
  /** `personal` (the user's, editable), `shared` (the admin's) or `builtin` (DuckDB). */
  kind: 'personal' | 'shared' | 'builtin';
  /** SQLAlchemy's dialect: postgresql, mysql, sqlite, duckdb, ... */
  dialect: string;
  driver: string;
  host: string | null;
  port: number | null;
  database: string | null;
  description: string;
  /** Whether the user may edit or remove it. */
  editable: boolean;
}

/**
 * The outcome of "Test connection".
 */
export interface IConnectionCheck {
  ok: boolean;
  /** ok, unreachable, auth_failed, unknown_database, missing_driver, tls_required, other */
  category: string;
  message: string;
}

/**
 * One table or view of a schema.
 */
export interface ITableInfo {
  schema: string;
  name: string;
  /** dataframe and file: a variable of the notebook's kernel, which DuckDB reads by name */
  kind: 'table' | 'view' | 'dataframe' | 'file';
  estimated_rows: number | null;
}

/**
 * One column of a table or view.
 */
export interface IColumnInfo {
  name: string;
  type: string;
  nullable: boolean;
  primary_key: boolean;
  /** `schema.table.column` of each column it refers to. */
  foreign_keys: string[];
}

/**
 * The first rows of a table, every value as JSON (dates, decimals and bytes as text).
 */
export interface IPreview {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
}

/**
 * What a SQL cell's toolbar sets, kept in `metadata.hubkit.sql` and in its magic line.
 */
export interface ISqlCellState {
  /** The connection's name. */
  connection: string;
  /** The Python variable the DataFrame goes into. */
  output: string;
  /** The most rows kept; null: the kernel's default. */
  limit: number | null;
}
