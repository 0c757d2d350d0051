/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { requestAPI } from './request';
import {
  IColumnInfo,
  IConnectionCheck,
  IConnectionSummary,
  IPreview,
  ITableInfo
} from './tokens';

function path(...parts: string[]): string {
  return parts.map(encodeURIComponent).join('/');
}

function json(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body) };
}

/**
 * The SQL workspace's API (hubkit_lab/sql_handlers.py), with the catalog cached: each level
 * is asked for once, when first needed, until `refresh()`.
 */
export class SqlApi {
  /**
   * Emitted when the list of connections changed (added, edited, removed, refreshed).
   */
  get connectionsChanged(): ISignal<this, void> {
    return this._connectionsChanged;
  }

  connections(): Promise<IConnectionSummary[]> {
    if (!this._connections) {
      this._connections = requestAPI<{ connections: IConnectionSummary[] }>(
        'connections'
      ).then(r => r.connections);
      this._connections.catch(() => (this._connections = null));
    }
    return this._connections;
  }

  async connection(name: string): Promise<IConnectionSummary | undefined> {
    return (await this.connections()).find(c => c.name === name);
  }

  schemas(connection: string): Promise<string[]> {
    return this._cached(path(connection), () =>
      requestAPI<{ schemas: { name: string }[] }>(
        `catalog/${path(connection)}`
      ).then(r => r.schemas.map(s => s.name))
    );
  }

  tables(connection: string, schema: string): Promise<ITableInfo[]> {
    return this._cached(path(connection, schema), () =>
      requestAPI<{ tables: ITableInfo[] }>(
        `catalog/${path(connection, schema)}`
      ).then(r => r.tables)
    );
  }

  columns(
    connection: string,
    schema: string,
    table: string
  ): Promise<IColumnInfo[]> {
    return this._cached(path(connection, schema, table), () =>
      requestAPI<{ columns: IColumnInfo[] }>(
        `catalog/${path(connection, schema, table)}`
      ).then(r => r.columns)
    );
  }

  preview(
    connection: string,
    schema: string,
    table: string,
    n = 20
  ): Promise<IPreview> {
    return requestAPI<IPreview>(
      `catalog/${path(connection, schema, table)}/preview?n=${n}`
    );
  }

  /**
   * Tables and views of every schema whose `schema.name` contains `text` (the server's
   * catalog query, not what was loaded): at most `limit`, and whether there are more.
   */
  search(
    connection: string,
    text: string,
    limit = 20
  ): Promise<{ tables: ITableInfo[]; more: boolean }> {
    const query = new URLSearchParams({ q: text, limit: String(limit) });
    return requestAPI<{ tables: ITableInfo[]; more: boolean }>(
      `search/${path(connection)}?${query}`
    );
  }

  async addConnection(
    name: string,
    url: string,
    description: string
  ): Promise<IConnectionSummary> {
    const added = await requestAPI<IConnectionSummary>(
      'connections',
      json('POST', { name, url, description })
    );
    this.refresh();
    return added;
  }

  async editConnection(
    name: string,
    changes: { url?: string; description?: string; name?: string }
  ): Promise<IConnectionSummary> {
    const edited = await requestAPI<IConnectionSummary>(
      `connections/${path(name)}`,
      json('PUT', changes)
    );
    this.refresh();
    return edited;
  }

  async removeConnection(name: string): Promise<void> {
    await requestAPI<void>(`connections/${path(name)}`, { method: 'DELETE' });
    this.refresh();
  }

  testConnection(name: string): Promise<IConnectionCheck> {
    return requestAPI<IConnectionCheck>(`connections/${path(name)}/test`, {
      method: 'POST'
    });
  }

  testUrl(url: string): Promise<IConnectionCheck> {
    return requestAPI<IConnectionCheck>(
      'connections/test',
      json('POST', { url })
    );
  }

  /**
   * Forget the connections and the catalog; the next calls ask the server again.
   */
  refresh(): void {
    this._connections = null;
    this._catalog.clear();
    this._connectionsChanged.emit();
  }

  private _cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    let found = this._catalog.get(key) as Promise<T> | undefined;
    if (!found) {
      found = load();
      this._catalog.set(key, found);
      found.catch(() => this._catalog.delete(key)); // a failure is asked again
    }
    return found;
  }

  private _connections: Promise<IConnectionSummary[]> | null = null;
  private _catalog = new Map<string, Promise<unknown>>();
  private _connectionsChanged = new Signal<this, void>(this);
}

/**
 * An identifier quoted for the dialect: backticks on MySQL/MariaDB, double quotes elsewhere.
 */
export function quoteIdentifier(dialect: string, name: string): string {
  if (dialect === 'mysql' || dialect === 'mariadb') {
    return '`' + name.replace(/`/g, '``') + '`';
  }
  return '"' + name.replace(/"/g, '""') + '"';
}

/**
 * `schema.table`, each part quoted for the dialect.
 */
export function qualifiedName(
  dialect: string,
  schema: string,
  table: string
): string {
  return `${quoteIdentifier(dialect, schema)}.${quoteIdentifier(dialect, table)}`;
}
