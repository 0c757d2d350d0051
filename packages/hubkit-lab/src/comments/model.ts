/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { ICellModel } from '@jupyterlab/cells';
import { UUID } from '@lumino/coreutils';

/**
 * Comments live in the cell's metadata, `metadata.hubkit.comments`: part of the notebook's
 * shared (Yjs) model, so every collaborator sees a change live, and saved in the .ipynb
 * with the cell (they move, copy and delete with it). Whoever may open the notebook reads them.
 */
export const METADATA_KEY = 'hubkit';
export const COMMENTS_KEY = 'comments';

/**
 * Longest comment kept, in characters.
 */
export const MAX_COMMENT_CHARS = 10000;

/**
 * Who wrote or resolved: the login name, the display name at the time, the person's colour.
 */
export interface IAuthor {
  name: string;
  display_name: string;
  color?: string | null;
}

export interface IComment {
  id: string;
  author: IAuthor;
  /** ISO 8601, UTC */
  time: string;
  text: string;
}

/**
 * A thread: its first comment, the replies, and whether (and by whom) it was resolved.
 */
export interface IThread extends IComment {
  replies: IComment[];
  resolved: boolean;
  resolved_by?: IAuthor | null;
  resolved_time?: string | null;
}

function isComment(value: any): value is IComment {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof value.id === 'string' &&
    typeof value.text === 'string' &&
    typeof value.time === 'string' &&
    value.author !== null &&
    typeof value.author === 'object' &&
    typeof value.author.name === 'string'
  );
}

/**
 * The cell's threads; entries that are not threads (a hand-edited file) are skipped.
 */
export function threadsOf(model: ICellModel): IThread[] {
  const hubkit = (model.getMetadata(METADATA_KEY) as Record<string, any>) ?? {};
  const found = hubkit[COMMENTS_KEY];
  if (!Array.isArray(found)) {
    return [];
  }
  return found.filter(isComment).map((t: any) => ({
    ...t,
    replies: Array.isArray(t.replies) ? t.replies.filter(isComment) : [],
    resolved: t.resolved === true
  }));
}

function save(model: ICellModel, threads: IThread[]): void {
  const hubkit = { ...((model.getMetadata(METADATA_KEY) as Record<string, unknown>) ?? {}) };
  if (threads.length) {
    hubkit[COMMENTS_KEY] = threads;
  } else {
    delete hubkit[COMMENTS_KEY];
  }
  model.setMetadata(METADATA_KEY, hubkit as any);
}

function comment(author: IAuthor, text: string): IComment {
  const trimmed = text.trim();
  if (!trimmed) {
    throw new Error('A comment needs some text.');
  }
  if (trimmed.length > MAX_COMMENT_CHARS) {
    throw new Error(
      `A comment has at most ${MAX_COMMENT_CHARS} characters; this one has ${trimmed.length}.`
    );
  }
  return { id: UUID.uuid4(), author, time: new Date().toISOString(), text: trimmed };
}

/**
 * Start a thread on a cell.
 */
export function addThread(model: ICellModel, author: IAuthor, text: string): IThread {
  const thread: IThread = { ...comment(author, text), replies: [], resolved: false };
  save(model, [...threadsOf(model), thread]);
  return thread;
}

function update(model: ICellModel, threadId: string, change: (t: IThread) => IThread): void {
  const threads = threadsOf(model);
  const index = threads.findIndex(t => t.id === threadId);
  if (index < 0) {
    throw new Error('This thread was deleted meanwhile.');
  }
  threads[index] = change(threads[index]);
  save(model, threads);
}

export function addReply(model: ICellModel, threadId: string, author: IAuthor, text: string): void {
  const reply = comment(author, text);
  update(model, threadId, t => ({ ...t, replies: [...t.replies, reply] }));
}

/**
 * Resolve a thread, or reopen it (`resolved` false).
 */
export function setResolved(
  model: ICellModel,
  threadId: string,
  author: IAuthor,
  resolved: boolean
): void {
  update(model, threadId, t => ({
    ...t,
    resolved,
    resolved_by: resolved ? author : null,
    resolved_time: resolved ? new Date().toISOString() : null
  }));
}

/**
 * Delete a thread (its author's choice).
 */
export function deleteThread(model: ICellModel, threadId: string): void {
  save(
    model,
    threadsOf(model).filter(t => t.id !== threadId)
  );
}

/**
 * Split a comment's text into plain parts and `@name` mentions of known people.
 */
export function mentionParts(
  text: string,
  known: (name: string) => boolean
): { text: string; mention: boolean }[] {
  const parts: { text: string; mention: boolean }[] = [];
  const pattern = /@([\w.+-]+)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const name = match[1].replace(/[.-]+$/, '');
    if (!known(name)) {
      continue;
    }
    const start = match.index ?? 0;
    if (start > last) {
      parts.push({ text: text.slice(last, start), mention: false });
    }
    parts.push({ text: '@' + name, mention: true });
    last = start + 1 + name.length;
  }
  if (last < text.length) {
    parts.push({ text: text.slice(last), mention: false });
  }
  return parts;
}

/**
 * The partial `@name` just before the caret, if the caret ends one.
 */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(^|\s)@([\w.+-]*)$/.exec(text.slice(0, caret));
  if (!match) {
    return null;
  }
  return { start: caret - match[2].length - 1, query: match[2] };
}
