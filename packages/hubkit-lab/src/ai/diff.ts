/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { diffLines } from 'diff';
import { Widget } from '@lumino/widgets';

/**
 * One line of a unified diff: kept, removed (old) or added (new).
 */
export interface IDiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
  /** Line number in the old source (removed and kept lines). */
  old: number | null;
  /** Line number in the new source (added and kept lines). */
  new: number | null;
}

/**
 * The lines of a unified diff of two sources (jsdiff's line diff).
 */
export function diffOf(before: string, after: string): IDiffLine[] {
  const out: IDiffLine[] = [];
  let oldLine = 1;
  let newLine = 1;
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) {
      if (part.added) {
        out.push({ kind: 'added', text, old: null, new: newLine++ });
      } else if (part.removed) {
        out.push({ kind: 'removed', text, old: oldLine++, new: null });
      } else {
        out.push({ kind: 'same', text, old: oldLine++, new: newLine++ });
      }
    }
  }
  return out;
}

/**
 * A unified diff of a cell's source and a proposed one: old and new line numbers, `-` and `+`
 * markers, removed lines red and added lines green in the theme's colours.
 */
export class DiffView extends Widget {
  constructor(before: string, after: string, labels: { old: string; new: string }) {
    super();
    this.addClass('hk-AiDiff');
    const table = document.createElement('table');
    table.className = 'hk-AiDiff-table';
    table.setAttribute('aria-label', `${labels.old} / ${labels.new}`);
    const head = table.createTHead().insertRow();
    for (const text of [labels.old, labels.new, '', '']) {
      const th = document.createElement('th');
      th.textContent = text;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const line of diffOf(before, after)) {
      const row = body.insertRow();
      row.className = `hk-AiDiff-${line.kind}`;
      row.insertCell().textContent = line.old === null ? '' : String(line.old);
      row.insertCell().textContent = line.new === null ? '' : String(line.new);
      row.insertCell().textContent =
        line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' ';
      const code = row.insertCell();
      code.className = 'hk-AiDiff-code';
      code.textContent = line.text;
    }
    this.node.appendChild(table);
  }
}
