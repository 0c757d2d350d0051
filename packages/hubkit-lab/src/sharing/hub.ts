/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { PageConfig } from '@jupyterlab/coreutils';

/**
 * A share code of this server as JupyterHub's API lists it (`GET /hub/api/share-codes/...`).
 * The code itself, and the link made of it, come only in the answer that creates it.
 */
export interface IShareCode {
  id: string;
  created_at: string;
  expires_at: string | null;
  exchange_count: number;
  last_exchanged_at: string | null;
  code?: string;
  accept_url?: string;
  full_accept_url?: string | null;
}

/**
 * This server's share codes, through JupyterHub's REST API (JupyterHub 6.1.1:
 * `/hub/api/share-codes/<owner>/<server>`: GET lists, POST creates with `expires_in` in
 * seconds, DELETE `?id=` revokes one).
 *
 * The browser calls the hub itself with the token of the person using JupyterLab (the page's
 * token, which the hub issued with the hub policy's `lab_token_scopes`), as
 * jupyter-collaboration's Share dialog does for shares; the `Authorization` header needs no
 * xsrf token. That is the least privilege and the least code: only someone who may manage
 * this server's shares (its owner: `shares!server=<owner>/<server>`) can make or revoke a
 * code, a visitor's token cannot, and the server's own token gets no sharing right (a
 * server-extension handler calling the hub with it would need one, and would have to decide
 * itself who may use it).
 */
export class HubShareCodes {
  /**
   * The share codes of the server this page belongs to; null outside JupyterHub.
   */
  static fromPageConfig(): HubShareCodes | null {
    const user = PageConfig.getOption('hubUser');
    if (!user) {
      return null;
    }
    const host = PageConfig.getOption('hubHost') || '';
    const prefix = PageConfig.getOption('hubPrefix') || '/hub/';
    return new HubShareCodes({
      user,
      owner: PageConfig.getOption('hubServerUser') || user,
      server: PageConfig.getOption('hubServerName') || '',
      hubHost: host,
      api: `${host}${prefix}api`,
      token: PageConfig.getToken()
    });
  }

  constructor(options: HubShareCodes.IOptions) {
    this._options = options;
  }

  /**
   * The server's owner (who may make codes for it).
   */
  get owner(): string {
    return this._options.owner;
  }

  /**
   * Whether the person using JupyterLab may manage this server's share codes (the scopes of
   * their token, as the hub reports them).
   */
  async canShare(): Promise<boolean> {
    const { user, owner, server } = this._options;
    const model = await this._request<{ scopes?: string[] }>('/user');
    const scopes = new Set(model?.scopes ?? []);
    return (
      scopes.has('shares') ||
      (user === owner && scopes.has('shares!user')) ||
      scopes.has(`shares!user=${owner}`) ||
      scopes.has(`shares!server=${owner}/${server}`)
    );
  }

  /**
   * The codes that have not expired, oldest first.
   */
  async list(): Promise<IShareCode[]> {
    const page = await this._request<{ items: IShareCode[] }>(this._codes);
    return page?.items ?? [];
  }

  /**
   * A new code, valid for `expiresIn` seconds, with its link.
   */
  async create(expiresIn: number): Promise<IShareCode> {
    const code = await this._request<IShareCode>(this._codes, {
      method: 'POST',
      body: JSON.stringify({ expires_in: expiresIn })
    });
    return code as IShareCode;
  }

  /**
   * Revoke one code: nobody can accept it any more. Shares made with it stay (JupyterHub's
   * behaviour): those are removed in the Share dialog.
   */
  async revoke(id: string): Promise<void> {
    await this._request(`${this._codes}?id=${encodeURIComponent(id)}`, {
      method: 'DELETE'
    });
  }

  /**
   * The full link to accept a code: the hub's public URL when it knows it, else the hub's
   * host (this page's origin when the hub serves it).
   */
  acceptLink(code: IShareCode): string {
    if (code.full_accept_url) {
      return code.full_accept_url;
    }
    const base = this._options.hubHost || window.location.origin;
    return new URL(code.accept_url ?? '', base).href;
  }

  private get _codes(): string {
    const { owner, server } = this._options;
    return `/share-codes/${encodeURIComponent(owner)}/${encodeURIComponent(server)}`;
  }

  private async _request<T>(path: string, init: RequestInit = {}): Promise<T | null> {
    const response = await fetch(this._options.api + path, {
      ...init,
      headers: {
        Authorization: `token ${this._options.token}`,
        'Content-Type': 'application/json'
      }
    });
    if (!response.ok) {
      let message = '';
      try {
        message = (await response.json()).message ?? '';
      } catch {
        // not JSON: the status says it
      }
      throw new Error(message || `${response.status} ${response.statusText}`);
    }
    return response.status === 204 ? null : ((await response.json()) as T);
  }

  private _options: HubShareCodes.IOptions;
}

export namespace HubShareCodes {
  export interface IOptions {
    /** who uses JupyterLab */
    user: string;
    /** whose server this is, and its name ('' for the default server) */
    owner: string;
    server: string;
    /** the hub's host when it is not this page's ('' otherwise) */
    hubHost: string;
    /** the hub's REST API, e.g. `/hub/api` */
    api: string;
    token: string;
  }
}
