/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { Cell, ICellModel } from '@jupyterlab/cells';
import { Time } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import {
  addReply,
  addThread,
  IAuthor,
  IComment,
  IThread,
  mentionAt,
  mentionParts,
  setResolved,
  threadsOf
} from './model';
import { el } from '../dom';

/**
 * A speech bubble, for the panel's tab and the cells' indicators.
 */
export const commentIcon = new LabIcon({
  name: 'hubkit:comment',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">' +
    '<path class="jp-icon3" fill="#616161" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 ' +
    '2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v11h2v2l2.5-2H20V5H4zm3 3h10v2H7V8zm0 3h7v2H7v-2z"/></svg>'
});

/**
 * A person a comment may mention (GET /hubkit-lab/people).
 */
export interface IPerson {
  name: string;
  display_name: string;
}

/**
 * What the panel needs from its plugin.
 */
export interface ICommentsContext {
  trans: TranslationBundle;
  /** The person using this JupyterLab */
  me: () => IAuthor;
  /** The people one may mention, loaded once */
  people: () => Promise<IPerson[]>;
  onError: (error: unknown) => void;
}

const MAX_SUGGESTIONS = 8;

/**
 * A cell's label in the panel: its number and its first line.
 */
function cellLabel(trans: TranslationBundle, index: number, model: ICellModel): string {
  const first = model.sharedModel.getSource().split('\n')[0].trim();
  const short = first.length > 40 ? first.slice(0, 39) + '…' : first;
  return short ? trans.__('Cell %1 · %2', index + 1, short) : trans.__('Cell %1', index + 1);
}

/**
 * The right sidebar's Comments panel: the current notebook's threads, cell by cell, to read,
 * reply to, resolve and reopen; and a box to comment on the active cell. Drafts being typed
 * survive a collaborator's change (the panel is redrawn on every change).
 */
export class CommentsPanel extends Widget {
  constructor(context: ICommentsContext) {
    super();
    this._context = context;
    this.id = 'hubkit-comments';
    this.addClass('hk-Comments');
    this.title.icon = commentIcon;
    this.title.caption = context.trans.__('Comments');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', context.trans.__('Comments'));
  }

  /**
   * The notebook whose comments are shown.
   */
  set notebook(panel: NotebookPanel | null) {
    this._notebook = panel;
    this.render();
  }

  get notebook(): NotebookPanel | null {
    return this._notebook;
  }

  /**
   * Show a cell's threads (an indicator was clicked).
   */
  reveal(cell: Cell): void {
    this.render();
    const section = this.node.querySelector(`[data-cell="${cell.model.id}"]`);
    section?.scrollIntoView({ block: 'start' });
  }

  /**
   * Redraw, keeping drafts, the focus and the caret.
   */
  render(): void {
    const drafts = new Map<string, string>();
    this.node.querySelectorAll('textarea').forEach(t => drafts.set(t.dataset.key!, t.value));
    const focused = document.activeElement as HTMLTextAreaElement | null;
    const focusKey = focused && this.node.contains(focused) ? focused.dataset.key : undefined;
    const caret = focusKey ? [focused!.selectionStart, focused!.selectionEnd] : null;

    this.node.replaceChildren(...this._build(drafts));

    if (focusKey) {
      const again = this.node.querySelector<HTMLTextAreaElement>(
        `textarea[data-key="${focusKey}"]`
      );
      if (again) {
        again.focus();
        again.setSelectionRange(caret![0], caret![1]);
      }
    }
  }

  private _build(drafts: Map<string, string>): HTMLElement[] {
    const trans = this._context.trans;
    const header = el('h2', 'hk-Comments-title', trans.__('Comments'));
    const panel = this._notebook;
    if (!panel || !panel.model) {
      return [header, el('p', 'hk-Comments-empty', trans.__('Open a notebook to see its comments.'))];
    }
    const nodes: HTMLElement[] = [header];
    const active = panel.content.activeCell;
    const form = el('div', 'hk-Comments-new');
    form.append(
      el(
        'div',
        'hk-Comments-target',
        active
          ? trans.__('Comment on %1', cellLabel(trans, panel.content.activeCellIndex, active.model))
          : trans.__('Select a cell to comment on it.')
      )
    );
    if (active) {
      const model = active.model;
      form.append(
        this._editor('new', trans.__('Comment'), drafts, text => addThread(model, this._context.me(), text))
      );
    }
    nodes.push(form);

    let count = 0;
    const cells = panel.model.cells;
    for (let i = 0; i < cells.length; i++) {
      const model = cells.get(i);
      const threads = threadsOf(model);
      if (!threads.length) {
        continue;
      }
      count += threads.length;
      const section = el('section', 'hk-Comments-cell');
      section.dataset.cell = model.id;
      const title = el('button', 'hk-Comments-cellLabel', cellLabel(trans, i, model));
      title.title = trans.__('Go to the cell');
      title.addEventListener('click', () => {
        panel.content.activeCellIndex = i;
        void panel.content.scrollToItem(i);
      });
      section.append(title);
      for (const thread of threads) {
        section.append(this._thread(model, thread, drafts));
      }
      nodes.push(section);
    }
    if (!count) {
      nodes.push(el('p', 'hk-Comments-empty', trans.__('No comments in this notebook yet.')));
    }
    return nodes;
  }

  private _thread(model: ICellModel, thread: IThread, drafts: Map<string, string>): HTMLElement {
    const trans = this._context.trans;
    const node = el('article', 'hk-CommentThread');
    node.dataset.thread = thread.id;
    node.classList.toggle('hk-mod-resolved', thread.resolved);
    node.append(this._comment(thread));
    for (const reply of thread.replies) {
      node.append(this._comment(reply, true));
    }
    const actions = el('div', 'hk-CommentThread-actions');
    const me = () => this._context.me();
    if (thread.resolved) {
      const by = thread.resolved_by?.display_name || thread.resolved_by?.name || '?';
      actions.append(el('span', 'hk-CommentThread-status', trans.__('Resolved by %1', by)));
      actions.append(
        this._button(trans.__('Reopen'), 'hk-CommentThread-reopen', () =>
          setResolved(model, thread.id, me(), false)
        )
      );
      node.append(actions);
      return node;
    }
    node.append(
      this._editor(`reply:${thread.id}`, trans.__('Reply'), drafts, text =>
        addReply(model, thread.id, me(), text)
      )
    );
    actions.append(
      this._button(trans.__('Resolve'), 'hk-CommentThread-resolve', () =>
        setResolved(model, thread.id, me(), true)
      )
    );
    node.append(actions);
    return node;
  }

  private _comment(comment: IComment, reply = false): HTMLElement {
    const node = el('div', reply ? 'hk-Comment hk-mod-reply' : 'hk-Comment');
    const head = el('div', 'hk-Comment-head');
    const shown = comment.author.display_name || comment.author.name;
    const avatar = el('span', 'hk-Comment-avatar', initials(shown));
    if (comment.author.color) {
      avatar.style.backgroundColor = comment.author.color;
    }
    const author = el('span', 'hk-Comment-author', shown);
    author.title = '@' + comment.author.name;
    const time = el('time', 'hk-Comment-time', Time.formatHuman(comment.time));
    time.dateTime = comment.time;
    time.title = Time.format(comment.time);
    head.append(avatar, author, time);
    const body = el('div', 'hk-Comment-text');
    const known = this._known;
    for (const part of mentionParts(comment.text, name => known.has(name))) {
      if (part.mention) {
        const mention = el('span', 'hk-Comment-mention', part.text);
        mention.title = known.get(part.text.slice(1)) ?? '';
        body.append(mention);
      } else {
        body.append(document.createTextNode(part.text));
      }
    }
    node.append(head, body);
    return node;
  }

  private _button(label: string, className: string, act: () => void): HTMLButtonElement {
    const button = el('button', `jp-Button jp-mod-styled jp-mod-reject ${className}`, label);
    button.addEventListener('click', () => {
      try {
        act();
      } catch (error) {
        this._context.onError(error);
      }
    });
    return button;
  }

  /**
   * A text box with @name completion and a send button.
   */
  private _editor(
    key: string,
    label: string,
    drafts: Map<string, string>,
    send: (text: string) => void
  ): HTMLElement {
    const trans = this._context.trans;
    const box = el('div', 'hk-CommentEditor');
    const input = el('textarea', 'jp-mod-styled hk-CommentEditor-input');
    input.dataset.key = key;
    input.rows = 2;
    input.placeholder = trans.__('%1… (@ to mention someone, Ctrl+Enter to send)', label);
    input.setAttribute('aria-label', label);
    input.value = drafts.get(key) ?? '';
    const list = el('ul', 'hk-CommentEditor-suggestions');
    list.setAttribute('role', 'listbox');
    list.hidden = true;
    const submit = () => {
      if (!input.value.trim()) {
        return;
      }
      try {
        send(input.value);
        input.value = '';
      } catch (error) {
        this._context.onError(error);
      }
    };
    const button = el('button', 'jp-Button jp-mod-styled jp-mod-accept hk-CommentEditor-send', label);
    button.addEventListener('click', submit);

    let suggestions: IPerson[] = [];
    let selected = 0;
    const choose = (person: IPerson) => {
      const at = mentionAt(input.value, input.selectionStart);
      if (!at) {
        return;
      }
      const before = input.value.slice(0, at.start) + '@' + person.name + ' ';
      input.value = before + input.value.slice(input.selectionStart);
      input.setSelectionRange(before.length, before.length);
      list.hidden = true;
      input.focus();
    };
    const showList = () => {
      list.replaceChildren(
        ...suggestions.map((p, i) => {
          const item = el('li', 'hk-CommentEditor-suggestion');
          item.setAttribute('role', 'option');
          item.setAttribute('aria-selected', String(i === selected));
          item.dataset.name = p.name;
          item.append(el('span', '', p.display_name), el('span', 'hk-CommentEditor-login', '@' + p.name));
          item.addEventListener('mousedown', event => {
            event.preventDefault(); // keep the focus in the box
            choose(p);
          });
          return item;
        })
      );
      list.hidden = suggestions.length === 0;
    };
    input.addEventListener('input', async () => {
      const at = mentionAt(input.value, input.selectionStart);
      if (!at) {
        list.hidden = true;
        return;
      }
      const query = at.query.toLowerCase();
      const people = await this._people();
      suggestions = people
        .filter(
          p =>
            p.name.toLowerCase().startsWith(query) ||
            p.display_name.toLowerCase().split(/\s+/).some(w => w.startsWith(query))
        )
        .slice(0, MAX_SUGGESTIONS);
      selected = 0;
      showList();
    });
    input.addEventListener('keydown', event => {
      if (!list.hidden && suggestions.length) {
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          const step = event.key === 'ArrowDown' ? 1 : -1;
          selected = (selected + step + suggestions.length) % suggestions.length;
          showList();
          event.preventDefault();
          return;
        }
        if (event.key === 'Enter' || event.key === 'Tab') {
          choose(suggestions[selected]);
          event.preventDefault();
          return;
        }
        if (event.key === 'Escape') {
          list.hidden = true;
          event.preventDefault();
          event.stopPropagation();
          return;
        }
      }
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        submit();
        event.preventDefault();
      }
    });
    input.addEventListener('blur', () => {
      list.hidden = true;
    });
    box.append(input, list, button);
    return box;
  }

  private async _people(): Promise<IPerson[]> {
    const people = await this._context.people();
    if (this._known.size === 0) {
      for (const p of people) {
        this._known.set(p.name, p.display_name);
      }
    }
    return people;
  }

  /**
   * Load the people once, so that mentions of them are highlighted.
   */
  async loadPeople(): Promise<void> {
    try {
      await this._people();
      this.render();
    } catch (error) {
      console.warn('hubkit: cannot list the people to mention', error);
    }
  }

  private _context: ICommentsContext;
  private _notebook: NotebookPanel | null = null;
  private _known = new Map<string, string>();
}

/**
 * Up to two letters of a name, as the server's identity makes them (hubkit_lab.identity).
 */
export function initials(name: string): string {
  const words = name.split(/\s+/).filter(w => /^[\p{L}\p{N}]/u.test(w));
  if (!words.length) {
    return name.slice(0, 1).toUpperCase();
  }
  return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : '')).toUpperCase();
}
