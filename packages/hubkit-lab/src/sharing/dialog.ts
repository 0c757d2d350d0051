/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { Clipboard } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { errorText } from '../dialogs';
import { el } from '../dom';
import { HubShareCodes, IShareCode } from './hub';

/**
 * How long a new link may be accepted, in seconds (JupyterHub allows 1 minute to 1 year).
 */
const EXPIRIES = [
  { seconds: 3600, label: (t: TranslationBundle) => t.__('1 hour') },
  { seconds: 86400, label: (t: TranslationBundle) => t.__('1 day') },
  { seconds: 7 * 86400, label: (t: TranslationBundle) => t.__('7 days') },
  { seconds: 30 * 86400, label: (t: TranslationBundle) => t.__('30 days') }
];
const DEFAULT_EXPIRY = 86400;
/**
 * How often an open dialog lists the codes again, so that a link accepted meanwhile shows it.
 */
const REFRESH_MS = 5000;

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86400000],
  ['hour', 3600000],
  ['minute', 60000]
];

/**
 * A time to come, e.g. `in 7 days` (JupyterLab's Time.formatHuman rounds a future time up to
 * the largest unit: a day from now reads "next year").
 */
export function fromNow(value: string): string {
  const lang = document.documentElement.lang || 'en';
  const format = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const delta = new Date(value).getTime() - Date.now();
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms) {
      return format.format(Math.round(delta / ms), unit);
    }
  }
  return format.format(Math.round(delta / 1000), 'second');
}

/**
 * The body of the "Share with a Link" dialog: make a share code with its expiry and copy its
 * link; the server's codes with when they were made, until when they hold and when they were
 * last accepted, each with a Revoke button.
 */
export class ShareCodesBody extends Widget {
  constructor(options: ShareCodesBody.IOptions) {
    super();
    this._codes = options.codes;
    this._trans = options.trans;
    this._manageShares = options.manageShares ?? null;
    this.addClass('hk-ShareCodes');
    this._build();
    void this.refresh();
    this._timer = window.setInterval(() => {
      if (this.isVisible && !document.hidden) {
        void this.refresh();
      }
    }, REFRESH_MS);
  }

  /**
   * List the codes again, from the hub; the table is built again only when they changed, so
   * a periodic refresh never replaces a button under the pointer for nothing.
   */
  async refresh(): Promise<void> {
    const request = ++this._requests;
    try {
      const items = await this._codes.list();
      if (request !== this._requests) {
        return; // a newer listing (after a revoke, say) is under way
      }
      this._showError('');
      if (JSON.stringify(items) === JSON.stringify(this._items) && this._rows.hasChildNodes()) {
        return;
      }
      this._items = items;
    } catch (error) {
      this._showError(this._trans.__('Cannot list the links: %1', errorText(error)));
    }
    this._renderTable();
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  private _build(): void {
    const trans = this._trans;
    this.node.append(
      el(
        'p',
        'hk-ShareCodes-intro',
        trans.__(
          'Anyone with an account on this hub who opens the link and accepts it can use your server (%1) as themselves: every file, kernel and terminal. Send it to the people you mean, and revoke it when they have accepted it.',
          this._codes.owner
        )
      )
    );

    const create = el('div', 'hk-ShareCodes-create');
    const label = el('label', 'hk-ShareCodes-expiry', trans.__('The link can be accepted for'));
    this._expiry = el('select', 'jp-mod-styled');
    for (const { seconds, label: text } of EXPIRIES) {
      const option = el('option', '', text(trans));
      option.value = String(seconds);
      option.selected = seconds === DEFAULT_EXPIRY;
      this._expiry.append(option);
    }
    label.append(this._expiry);
    this._createButton = el(
      'button',
      'jp-mod-styled jp-mod-accept hk-ShareCodes-createButton',
      trans.__('Create Link')
    );
    this._createButton.addEventListener('click', () => void this._create());
    create.append(label, this._createButton);
    this.node.append(create);

    this._new = el('div', 'hk-ShareCodes-new');
    this._new.hidden = true;
    this.node.append(this._new);

    this._error = el('p', 'hk-ShareCodes-error');
    this._error.hidden = true;
    this._error.setAttribute('role', 'alert');
    this.node.append(this._error);

    this.node.append(el('h3', 'hk-ShareCodes-heading', trans.__('Links of this server')));
    const table = el('table', 'hk-ShareCodes-table');
    const head = el('tr');
    for (const title of [
      trans.__('Created'),
      trans.__('Expires'),
      trans.__('Accepted'),
      ''
    ]) {
      head.append(el('th', '', title));
    }
    const thead = el('thead');
    thead.append(head);
    table.append(thead, this._rows);
    this.node.append(table);

    const note = el(
      'p',
      'hk-ShareCodes-note',
      trans.__(
        'Revoking a link stops anyone else from accepting it. People who accepted it keep their access until you remove them in the Share dialog.'
      )
    );
    if (this._manageShares) {
      // a link in the text (an inline button grows the line)
      const manage = el('a', 'hk-ShareCodes-manage', trans.__('Who has access…'));
      manage.href = '#';
      manage.setAttribute('role', 'button');
      manage.addEventListener('click', event => {
        event.preventDefault();
        this._manageShares?.();
      });
      note.append(' ', manage);
    }
    this.node.append(note);
  }

  private async _create(): Promise<void> {
    this._createButton.disabled = true;
    try {
      const code = await this._codes.create(Number(this._expiry.value));
      this._newId = code.id;
      this._showNew(code);
      this._showError('');
    } catch (error) {
      this._showError(this._trans.__('The link was not created: %1', errorText(error)));
    } finally {
      this._createButton.disabled = false;
    }
    await this.refresh();
  }

  private _showNew(code: IShareCode): void {
    const trans = this._trans;
    const link = this._codes.acceptLink(code);
    const row = el('div', 'hk-ShareCodes-linkRow');
    const input = el('input', 'jp-mod-styled hk-ShareCodes-link');
    input.readOnly = true;
    input.value = link;
    input.setAttribute('aria-label', trans.__('Link to accept'));
    input.addEventListener('focus', () => input.select());
    const copy = el('button', 'jp-mod-styled jp-mod-accept hk-ShareCodes-copy', trans.__('Copy'));
    copy.addEventListener('click', () => {
      Clipboard.copyToSystem(link);
      copy.textContent = trans.__('Copied');
    });
    row.append(input, copy);
    const expires = el('p', 'hk-ShareCodes-expires');
    if (code.expires_at) {
      const when = el(
        'time',
        '',
        trans.__('Expires %1 (%2).', fromNow(code.expires_at), Time.format(code.expires_at))
      );
      when.dateTime = code.expires_at;
      expires.append(when);
    }
    expires.append(
      ' ',
      trans.__('Copy it now: the hub shows a link only when it makes it.')
    );
    this._new.replaceChildren(row, expires);
    this._new.hidden = false;
    input.focus();
  }

  private _renderTable(): void {
    const trans = this._trans;
    const rows: HTMLTableRowElement[] = [];
    for (const code of this._items) {
      const row = el('tr', 'hk-ShareCodes-code');
      row.dataset.id = code.id;
      row.classList.toggle('hk-mod-new', code.id === this._newId);
      row.append(
        this._timeCell(code.created_at, Time.formatHuman(code.created_at)),
        code.expires_at
          ? this._timeCell(code.expires_at, fromNow(code.expires_at))
          : el('td', '', trans.__('never')),
        code.exchange_count && code.last_exchanged_at
          ? this._timeCell(
              code.last_exchanged_at,
              trans._n(
                '%1 time, last %2',
                '%1 times, last %2',
                code.exchange_count,
                Time.formatHuman(code.last_exchanged_at)
              )
            )
          : el('td', 'hk-ShareCodes-unused', trans.__('not yet'))
      );
      const actions = el('td', 'hk-ShareCodes-actions');
      const revoke = el('button', 'jp-mod-styled jp-mod-warn hk-ShareCodes-revoke', trans.__('Revoke'));
      revoke.title = trans.__('Nobody can accept this link any more');
      revoke.addEventListener('click', () => void this._revoke(code, revoke));
      actions.append(revoke);
      row.append(actions);
      rows.push(row);
    }
    if (!rows.length) {
      const row = el('tr', 'hk-ShareCodes-none');
      const cell = el('td', '', trans.__('No links yet: create one above.'));
      cell.colSpan = 4;
      row.append(cell);
      rows.push(row);
    }
    this._rows.replaceChildren(...rows);
  }

  private _timeCell(value: string, text: string): HTMLTableCellElement {
    const cell = el('td');
    const time = el('time', '', text);
    time.dateTime = value;
    time.title = Time.format(value);
    cell.append(time);
    return cell;
  }

  private async _revoke(code: IShareCode, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await this._codes.revoke(code.id);
      if (code.id === this._newId) {
        this._new.hidden = true; // its link no longer works
        this._newId = null;
      }
      this._showError('');
    } catch (error) {
      button.disabled = false;
      this._showError(this._trans.__('The link was not revoked: %1', errorText(error)));
      return;
    }
    await this.refresh();
  }

  private _showError(message: string): void {
    this._error.textContent = message;
    this._error.hidden = !message;
  }

  private _codes: HubShareCodes;
  private _trans: TranslationBundle;
  private _manageShares: (() => void) | null;
  private _items: IShareCode[] = [];
  private _newId: string | null = null;
  private _expiry!: HTMLSelectElement;
  private _createButton!: HTMLButtonElement;
  private _new!: HTMLDivElement;
  private _error!: HTMLParagraphElement;
  private _rows = el('tbody');
  private _timer = 0;
  private _requests = 0;
}

export namespace ShareCodesBody {
  export interface IOptions {
    codes: HubShareCodes;
    trans: TranslationBundle;
    /** opens the Share dialog (who has access), when there is one */
    manageShares?: () => void;
  }
}
