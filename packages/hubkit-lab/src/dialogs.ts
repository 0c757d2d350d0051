/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { SqlApi } from './api';
import { CONNECTION_NAME } from './magic';
import { IConnectionCheck, IConnectionSummary, IPreview } from './tokens';

/**
 * The text of an error from the API (its `message`), or of anything else thrown.
 */
export function errorText(reason: unknown): string {
  if (reason instanceof Error) {
    return reason.message;
  }
  return String(reason);
}

interface IConnectionForm {
  name: string;
  url: string;
  description: string;
}

/**
 * The body of the "New connection" / "Edit connection" dialog.
 */
class ConnectionForm extends Widget implements Dialog.IBodyWidget<IConnectionForm> {
  constructor(
    api: SqlApi,
    trans: TranslationBundle,
    values: IConnectionForm,
    editing: IConnectionSummary | null,
    error: string
  ) {
    super();
    this._api = api;
    this._trans = trans;
    this.addClass('hk-ConnectionForm');

    const field = (
      label: string,
      input: HTMLInputElement,
      hint: string
    ): HTMLLabelElement => {
      const node = document.createElement('label');
      node.className = 'hk-ConnectionForm-field';
      const title = document.createElement('span');
      title.className = 'hk-ConnectionForm-label';
      title.textContent = label;
      const help = document.createElement('span');
      help.className = 'hk-ConnectionForm-hint';
      help.textContent = hint;
      node.append(title, input, help);
      return node;
    };
    const input = (value: string, placeholder: string): HTMLInputElement => {
      const node = document.createElement('input');
      node.className = 'jp-mod-styled';
      node.value = value;
      node.placeholder = placeholder;
      node.spellcheck = false;
      node.autocomplete = 'off';
      return node;
    };

    this._name = input(values.name, 'warehouse');
    this._url = input(
      values.url,
      editing
        ? trans.__('unchanged')
        : 'postgresql+psycopg://user:password@host:5432/database'
    );
    this._url.type = 'password'; // it may hold a password: not shown over a shoulder
    this._description = input(values.description, trans.__('optional'));

    const show = document.createElement('button');
    show.type = 'button';
    show.className = 'jp-mod-styled jp-mod-reject hk-ConnectionForm-show';
    show.textContent = trans.__('Show');
    show.addEventListener('click', () => {
      const hidden = this._url.type === 'password';
      this._url.type = hidden ? 'text' : 'password';
      show.textContent = hidden ? trans.__('Hide') : trans.__('Show');
    });
    const urlField = field(
      trans.__('SQLAlchemy URL'),
      this._url,
      trans.__(
        'e.g. sqlite:////home/me/data.db, duckdb:////home/me/data.duckdb, mysql+pymysql://user:password@host/db. Stored in your home with mode 600, never shown again.'
      )
    );
    urlField.insertBefore(show, urlField.lastChild);

    const test = document.createElement('button');
    test.type = 'button';
    test.className = 'jp-mod-styled jp-mod-reject hk-ConnectionForm-test';
    test.textContent = trans.__('Test connection');
    test.addEventListener('click', () => void this._test());
    this._result = document.createElement('div');
    this._result.className = 'hk-ConnectionForm-result';
    this._result.setAttribute('role', 'status');
    if (error) {
      this._showResult({ ok: false, category: 'other', message: error });
    }
    const testRow = document.createElement('div');
    testRow.className = 'hk-ConnectionForm-testRow';
    testRow.append(test, this._result);

    this.node.append(
      field(
        trans.__('Name'),
        this._name,
        editing
          ? trans.__(
              'The name SQL cells use: after renaming, cells that name %1 need the new name',
              editing.name
            )
          : trans.__('A letter, then letters, digits, _ or -: the name SQL cells use')
      ),
      urlField,
      field(trans.__('Description'), this._description, ''),
      testRow
    );
    this._editing = editing;
  }

  getValue(): IConnectionForm {
    return {
      name: this._name.value.trim(),
      url: this._url.value.trim(),
      description: this._description.value.trim()
    };
  }

  protected onAfterAttach(): void {
    (this._editing ? this._url : this._name).focus();
  }

  private async _test(): Promise<void> {
    const { url } = this.getValue();
    this._result.className = 'hk-ConnectionForm-result';
    this._result.textContent = this._trans.__('Testing…');
    let check: IConnectionCheck;
    try {
      check =
        url === '' && this._editing
          ? await this._api.testConnection(this._editing.name)
          : await this._api.testUrl(url);
    } catch (reason) {
      check = { ok: false, category: 'other', message: errorText(reason) };
    }
    this._showResult(check);
  }

  private _showResult(check: IConnectionCheck): void {
    this._result.className = `hk-ConnectionForm-result ${
      check.ok ? 'hk-mod-ok' : 'hk-mod-error'
    }`;
    const titles: Record<string, string> = {
      ok: this._trans.__('Connected'),
      unreachable: this._trans.__('Host unreachable'),
      auth_failed: this._trans.__('Wrong user name or password'),
      unknown_database: this._trans.__('Unknown database'),
      missing_driver: this._trans.__('Driver missing'),
      tls_required: this._trans.__('TLS required'),
      other: this._trans.__('Failed')
    };
    const title = document.createElement('strong');
    title.textContent = titles[check.category] ?? titles.other;
    this._result.replaceChildren(title, document.createTextNode(`: ${check.message}`));
  }

  private _api: SqlApi;
  private _trans: TranslationBundle;
  private _name: HTMLInputElement;
  private _url: HTMLInputElement;
  private _description: HTMLInputElement;
  private _result: HTMLDivElement;
  private _editing: IConnectionSummary | null;
}

/**
 * The "New connection" dialog (or "Edit connection" for a personal one). It stays open,
 * with the server's message, until the connection is saved or the user cancels. Returns the
 * saved connection.
 */
export async function connectionDialog(
  api: SqlApi,
  trans: TranslationBundle,
  editing: IConnectionSummary | null = null
): Promise<IConnectionSummary | null> {
  let values: IConnectionForm = {
    name: editing?.name ?? '',
    url: '',
    description: editing?.description ?? ''
  };
  let error = '';
  for (;;) {
    const result = await showDialog<IConnectionForm>({
      title: editing
        ? trans.__('Edit connection %1', editing.name)
        : trans.__('New connection'),
      body: new ConnectionForm(api, trans, values, editing, error),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Save') })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    values = result.value;
    if (!CONNECTION_NAME.test(values.name)) {
      error = trans.__(
        'Invalid name: use a letter, then up to 62 letters, digits, _ or -'
      );
      continue;
    }
    if (!editing && !values.url) {
      error = trans.__('Enter the connection\'s SQLAlchemy URL');
      continue;
    }
    try {
      if (editing) {
        const changes: { url?: string; description: string; name?: string } = {
          description: values.description
        };
        if (values.url) {
          changes.url = values.url;
        }
        if (values.name !== editing.name) {
          changes.name = values.name;
        }
        return await api.editConnection(editing.name, changes);
      }
      return await api.addConnection(values.name, values.url, values.description);
    } catch (reason) {
      error = errorText(reason);
    }
  }
}

/**
 * Ask before removing a personal connection, then remove it.
 */
export async function removeConnectionDialog(
  api: SqlApi,
  trans: TranslationBundle,
  connection: IConnectionSummary
): Promise<void> {
  const result = await showDialog({
    title: trans.__('Remove connection'),
    body: trans.__(
      'Remove the connection %1? SQL cells that use it stop working until a connection of that name exists again.',
      connection.name
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Remove') })
    ]
  });
  if (result.button.accept) {
    try {
      await api.removeConnection(connection.name);
    } catch (reason) {
      await showErrorMessage(trans.__('Cannot remove %1', connection.name), errorText(reason));
    }
  }
}

/**
 * A table's first rows, as a small table.
 */
export function previewTable(preview: IPreview, trans: TranslationBundle): Widget {
  const widget = new Widget();
  widget.addClass('hk-Preview');
  const table = document.createElement('table');
  table.className = 'hk-Preview-table';
  const head = table.createTHead().insertRow();
  for (const column of preview.columns) {
    const th = document.createElement('th');
    th.textContent = column.name;
    th.title = column.type;
    const type = document.createElement('span');
    type.className = 'hk-Preview-type';
    type.textContent = column.type;
    th.append(document.createElement('br'), type);
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of preview.rows) {
    const tr = body.insertRow();
    for (const value of row) {
      const td = tr.insertCell();
      if (value === null) {
        td.className = 'hk-Preview-null';
        td.textContent = 'NULL';
      } else {
        td.textContent = String(value);
        if (typeof value === 'number') {
          td.classList.add('hk-Preview-number');
        }
      }
    }
  }
  widget.node.appendChild(table);
  const note = document.createElement('div');
  note.className = 'hk-Preview-note';
  note.textContent = preview.truncated
    ? trans.__('The first %1 rows', String(preview.rows.length))
    : trans._n('%1 row', '%1 rows', preview.rows.length);
  widget.node.appendChild(note);
  return widget;
}
