/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { Kernel, KernelMessage } from '@jupyterlab/services';

/**
 * The MIME type of an interactive table (hubkit_kernel/tables/display.py).
 */
export const TABLE_MIME = 'application/vnd.hubkit.table+json';

/**
 * The comm target the kernel serves tables on.
 */
export const COMM_TARGET = 'hubkit.table';

export type ColumnKind = 'number' | 'date' | 'text' | 'bool' | 'other';

export interface IColumn {
  index: number;
  name: string;
  dtype: string;
  kind: ColumnKind;
}

export interface IPage {
  offset: number;
  rows: unknown[][];
  count: number;
  total: number;
}

export interface IHistogram {
  counts: number[];
  low: number;
  high: number;
}

export interface ISummary {
  column: number;
  nulls: number;
  distinct: number;
  rows: number;
  sampled: boolean;
  min?: unknown;
  max?: unknown;
  histogram?: IHistogram;
  top?: [unknown, number][];
  choices?: unknown[];
}

/**
 * A filter on one column, as the kernel validates it (engine.py `_check_filter`).
 */
export interface IFilter {
  column: number;
  op: 'range' | 'contains' | 'in' | 'null' | 'notnull';
  min?: number | string;
  max?: number | string;
  value?: string;
  values?: unknown[];
}

export interface IViewState {
  sort: { column: number; descending: boolean }[];
  filters: IFilter[];
  search: string;
}

/**
 * What the output carries: the first page and everything needed to ask for more.
 */
export interface ITableData {
  id: string;
  version: number;
  title: string | null;
  variable: string | null;
  source: string;
  columns: IColumn[];
  page: IPage;
  pageSize: number;
  code: string[];
  compact: boolean;
}

/**
 * Requests to the kernel over one comm per table; answers matched by request number.
 */
export class TableClient {
  constructor(
    readonly id: string,
    private _kernel: () => Kernel.IKernelConnection | null
  ) {}

  async request<T>(action: string, body: Record<string, unknown> = {}): Promise<T> {
    const comm = await this._open();
    const request = ++this._counter;
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      this._pending.set(request, { resolve, reject });
    });
    comm.send({ request, action, id: this.id, ...body } as any);
    const reply = await answer;
    if (!reply.ok) {
      throw new Error(String(reply.error));
    }
    return reply as unknown as T;
  }

  dispose(): void {
    if (this._comm && !this._comm.isDisposed) {
      try {
        this._comm.close();
      } catch {
        // the kernel is gone already
      }
    }
    this._comm = null;
  }

  private async _open(): Promise<Kernel.IComm> {
    if (this._comm && !this._comm.isDisposed) {
      return this._comm;
    }
    const kernel = this._kernel();
    if (!kernel) {
      throw new Error('No kernel: open the notebook with its kernel and run the cell again');
    }
    const comm = kernel.createComm(COMM_TARGET);
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
      const data = msg.content.data as Record<string, unknown>;
      const pending = this._pending.get(data.request as number);
      if (pending) {
        this._pending.delete(data.request as number);
        pending.resolve(data);
      }
    };
    comm.onClose = () => {
      for (const pending of this._pending.values()) {
        pending.reject(new Error('The kernel closed the table (run the cell again)'));
      }
      this._pending.clear();
      this._comm = null;
    };
    comm.open({ id: this.id });
    this._comm = comm;
    return comm;
  }

  private _comm: Kernel.IComm | null = null;
  private _counter = 0;
  private _pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
}
