/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  InputDialog,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { Cell, CodeCell } from '@jupyterlab/cells';
import { ICompletionProviderManager } from '@jupyterlab/completer';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { bugIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { errorText } from '../dialogs';
import { PYTHON_NAME } from '../magic';
import { requestAPI } from '../request';
import { cellState, isSqlCell, setCellState } from '../sqlcells';
import { AICompletionProvider } from './completion';
import { DiffView } from './diff';

/**
 * The AI actions' commands (also in schema/ai.json: cell toolbar and context menu).
 */
export const AICommandIDs = {
  fix: 'hubkit-lab:ai-fix-error',
  explain: 'hubkit-lab:ai-explain-cell',
  generate: 'hubkit-lab:ai-generate-cell',
  analyses: 'hubkit-lab:ai-suggest-analyses'
};

/**
 * The error output of a code cell (nbformat's), if its last run failed.
 */
interface IErrorOutput {
  ename: string;
  evalue: string;
  traceback: string[];
}

function errorOf(cell: Cell | null | undefined): IErrorOutput | null {
  if (!cell || cell.model.type !== 'code') {
    return null;
  }
  const outputs = (cell as CodeCell).model.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs.get(i).toJSON();
    if (output.output_type === 'error') {
      return output as unknown as IErrorOutput;
    }
  }
  return null;
}

/**
 * The text outputs of a cell (streams and text/plain), for "Explain this cell".
 */
function textOutputs(cell: Cell): string {
  if (cell.model.type !== 'code') {
    return '';
  }
  const outputs = (cell as CodeCell).model.outputs;
  const texts: string[] = [];
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs.get(i).toJSON() as any;
    if (output.output_type === 'stream') {
      texts.push([].concat(output.text).join(''));
    } else if (output.output_type === 'error') {
      texts.push([].concat(output.traceback).join('\n'));
    } else if (output.data?.['text/plain']) {
      texts.push([].concat(output.data['text/plain']).join(''));
    }
  }
  return texts.join('\n');
}

/**
 * Call one action of the server extension (hubkit_lab/ai.py) while a notification says that
 * the model is being asked; the gateway's message on failure.
 */
async function askModel<T>(
  action: string,
  body: unknown,
  trans: TranslationBundle
): Promise<T | null> {
  const id = Notification.emit(trans.__('Asking the AI model…'), 'in-progress', {
    autoClose: false
  });
  try {
    return await requestAPI<T>(`ai/${action}`, {
      method: 'POST',
      body: JSON.stringify(body)
    });
  } catch (reason) {
    await showErrorMessage(trans.__('AI assistance'), errorText(reason));
    return null;
  } finally {
    Notification.dismiss(id);
  }
}

/**
 * Markdown rendered by JupyterLab's renderer (alone, or in a dialog: showMarkdown).
 */
async function renderMarkdown(
  markdown: string,
  rendermime: IRenderMimeRegistry
): Promise<Widget> {
  const renderer = rendermime.createRenderer('text/markdown');
  await renderer.renderModel(new MimeModel({ data: { 'text/markdown': markdown } }));
  return renderer;
}

async function showMarkdown(
  title: string,
  markdown: string,
  rendermime: IRenderMimeRegistry,
  trans: TranslationBundle
): Promise<void> {
  const renderer = await renderMarkdown(markdown, rendermime);
  renderer.addClass('hk-AiMarkdown');
  await showDialog({
    title,
    body: renderer,
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}

/**
 * The sources of the cells above (and including) `index`, for a generated cell's context.
 */
function contextAbove(panel: NotebookPanel, index: number): string {
  const cells = panel.content.widgets.slice(Math.max(0, index - 4), index + 1);
  return cells
    .filter(c => c.model.type === 'code')
    .map(c => c.model.sharedModel.getSource())
    .join('\n\n');
}

/**
 * The body of "Suggest analyses": which variable, and whether sample rows may be sent.
 */
class AnalysesForm extends Widget {
  constructor(name: string, trans: TranslationBundle) {
    super();
    this.addClass('hk-AiAnalysesForm');
    const label = document.createElement('label');
    label.textContent = trans.__('DataFrame variable');
    this.name = document.createElement('input');
    this.name.className = 'jp-mod-styled hk-AiAnalysesForm-name';
    this.name.value = name;
    this.name.placeholder = 'df';
    label.appendChild(this.name);
    const check = document.createElement('label');
    check.className = 'hk-AiAnalysesForm-sample';
    this.sample = document.createElement('input');
    this.sample.type = 'checkbox';
    check.append(
      this.sample,
      trans.__(' Include sample rows (the first %1 rows and column minimums, maximums and frequent values are sent to the model)', SAMPLE_ROWS)
    );
    const note = document.createElement('p');
    note.className = 'hk-AiAnalysesForm-note';
    note.textContent = trans.__(
      'Without it, only column names and types, counts, means and standard deviations are sent.'
    );
    this.node.append(label, check, note);
  }

  getValue(): { name: string; sample: boolean } {
    return { name: this.name.value.trim(), sample: this.sample.checked };
  }

  readonly name: HTMLInputElement;
  readonly sample: HTMLInputElement;
}

/**
 * How many rows "include sample rows" sends.
 */
const SAMPLE_ROWS = 5;

/**
 * The variable "Suggest analyses" starts with: a SQL cell's output, or the name a cell ends
 * with (`df`), or the name its last line assigns (`df = ...`).
 */
function guessFrame(cell: Cell | null): string {
  if (!cell || cell.model.type !== 'code') {
    return '';
  }
  if (isSqlCell(cell.model)) {
    return cellState(cell.model).output;
  }
  const lines = cell.model.sharedModel.getSource().trim().split('\n');
  const last = (lines[lines.length - 1] ?? '').trim();
  const assigned = last.split('=')[0].trim();
  return PYTHON_NAME.test(last) ? last : PYTHON_NAME.test(assigned) ? assigned : '';
}

/**
 * A DataFrame's schema and statistics, computed by the kernel library (hubkit_kernel.ai) as a
 * silent user expression: nothing appears in the notebook or its history.
 */
async function summarizeInKernel(
  panel: NotebookPanel,
  name: string,
  rows: number
): Promise<any> {
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel) {
    throw new Error('The notebook has no running kernel');
  }
  const expression = `__import__('hubkit_kernel.ai', fromlist=['summary']).summary(${name}, ${rows})`;
  const reply = await kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    user_expressions: { hubkit: expression }
  }).done;
  const result = (reply.content as any).user_expressions?.hubkit;
  if (!result || result.status !== 'ok') {
    throw new Error(
      result?.ename === 'NameError'
        ? `No variable named ${name} in the kernel (run the cell that defines it)`
        : `${result?.ename ?? 'Error'}: ${result?.evalue ?? 'the kernel did not answer'}`
    );
  }
  const data = result.data?.['application/json'];
  if (!data) {
    throw new Error('The kernel library (hubkit_kernel) did not describe the DataFrame');
  }
  if (data.error) {
    throw new Error(`${name}: ${data.error}`);
  }
  return data;
}

/**
 * JupyterLab's AI actions, through the server extension and the hub's AI gateway.
 */
export const aiPlugin: JupyterFrontEndPlugin<void> = {
  id: '@hubkit/lab:ai-actions',
  description:
    'AI actions: fix an error, explain a cell, generate a cell, suggest analyses; inline completion.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ICommandPalette, ITranslator, ICompletionProviderManager],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    completions: ICompletionProviderManager | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    completions?.registerInlineProvider(new AICompletionProvider(trans));
    const { commands } = app;
    const activeCell = (): Cell | null => tracker.activeCell;
    const hasNotebook = (): boolean => tracker.currentWidget !== null;
    // A command's work on the current notebook, when there is one
    const onNotebook =
      (work: (panel: NotebookPanel) => Promise<void>) => async (): Promise<void> => {
        const panel = tracker.currentWidget;
        if (panel) {
          await work(panel);
        }
      };

    commands.addCommand(AICommandIDs.fix, {
      label: trans.__('Fix this error'),
      caption: trans.__('Ask the AI model to fix the error of this cell, shown as a diff'),
      icon: bugIcon,
      isVisible: () => errorOf(activeCell()) !== null,
      execute: async () => {
        const cell = activeCell();
        const error = errorOf(cell);
        if (!cell || !error) {
          return;
        }
        const before = cell.model.sharedModel.getSource();
        const fix = await askModel<{ source: string; explanation: string }>(
          'fix',
          { source: before, error },
          trans
        );
        if (!fix) {
          return;
        }
        const body = new Widget();
        body.addClass('hk-AiFix');
        if (fix.explanation) {
          const why = await renderMarkdown(fix.explanation, rendermime);
          why.addClass('hk-AiFix-explanation');
          body.node.appendChild(why.node);
        }
        const diff = new DiffView(before, fix.source, {
          old: trans.__('Old'),
          new: trans.__('New')
        });
        body.node.appendChild(diff.node);
        const result = await showDialog({
          title: trans.__('Proposed fix'),
          body,
          buttons: [
            Dialog.cancelButton({ label: trans.__('Reject') }),
            Dialog.okButton({ label: trans.__('Accept') })
          ]
        });
        if (result.button.accept && !cell.isDisposed) {
          cell.model.sharedModel.setSource(fix.source);
        }
      }
    });

    commands.addCommand(AICommandIDs.explain, {
      label: trans.__('Explain this cell'),
      caption: trans.__('Ask the AI model to explain the active cell'),
      isEnabled: () => activeCell() !== null,
      execute: async () => {
        const cell = activeCell();
        if (!cell) {
          return;
        }
        const answer = await askModel<{ markdown: string }>(
          'explain',
          { source: cell.model.sharedModel.getSource(), outputs: textOutputs(cell) },
          trans
        );
        if (answer) {
          await showMarkdown(trans.__('Explanation'), answer.markdown, rendermime, trans);
        }
      }
    });

    commands.addCommand(AICommandIDs.generate, {
      label: trans.__('Generate a cell from a sentence…'),
      caption: trans.__(
        'Describe a cell; the AI model writes it below the active one (SQL below a SQL cell, with its connection’s tables)'
      ),
      isEnabled: hasNotebook,
      execute: onNotebook(async panel => {
        const notebook = panel.content;
        const cell = notebook.activeCell;
        const sql = cell && isSqlCell(cell.model) ? cellState(cell.model) : null;
        const asked = await InputDialog.getText({
          title: sql
            ? trans.__('Generate SQL on %1', sql.connection)
            : trans.__('Generate a cell'),
          label: trans.__('What should the cell do?'),
          placeholder: sql
            ? trans.__('e.g. the ten customers with the most orders')
            : trans.__('e.g. plot the monthly totals of df'),
          okLabel: trans.__('Generate')
        });
        const prompt = asked.value?.trim();
        if (!asked.button.accept || !prompt) {
          return;
        }
        const index = notebook.activeCellIndex;
        const answer = await askModel<{ source: string }>(
          'generate',
          {
            prompt,
            context: contextAbove(panel, index),
            ...(sql ? { connection: sql.connection } : {})
          },
          trans
        );
        if (!answer || panel.isDisposed) {
          return;
        }
        notebook.activeCellIndex = Math.min(index, notebook.widgets.length - 1);
        NotebookActions.insertBelow(notebook);
        const created = notebook.activeCell!;
        created.model.sharedModel.setSource(answer.source);
        if (sql) {
          setCellState(created.model, { ...sql, output: `${sql.output}_${index + 1}` });
        }
      })
    });

    commands.addCommand(AICommandIDs.analyses, {
      label: trans.__('Suggest analyses for a DataFrame…'),
      caption: trans.__(
        'From a DataFrame’s schema and summary statistics, computed in the kernel'
      ),
      isEnabled: hasNotebook,
      execute: onNotebook(async panel => {
        const form = new AnalysesForm(guessFrame(panel.content.activeCell), trans);
        const result = await showDialog({
          title: trans.__('Suggest analyses'),
          body: form,
          focusNodeSelector: 'input',
          buttons: [
            Dialog.cancelButton(),
            Dialog.okButton({ label: trans.__('Suggest') })
          ]
        });
        if (!result.button.accept || !result.value) {
          return;
        }
        const { name, sample } = result.value;
        if (!PYTHON_NAME.test(name)) {
          await showErrorMessage(
            trans.__('AI assistance'),
            trans.__('"%1" is not a Python variable name', name)
          );
          return;
        }
        let summary: unknown;
        try {
          summary = await summarizeInKernel(panel, name, sample ? SAMPLE_ROWS : 0);
        } catch (reason) {
          await showErrorMessage(trans.__('AI assistance'), errorText(reason));
          return;
        }
        const answer = await askModel<{ markdown: string }>(
          'analyses',
          { name, summary },
          trans
        );
        if (answer) {
          await showMarkdown(
            trans.__('Analyses of %1', name),
            answer.markdown,
            rendermime,
            trans
          );
        }
      })
    });

    // The toolbar button of "Fix this error" shows on a failed cell only
    const refresh = () => commands.notifyCommandChanged(AICommandIDs.fix);
    tracker.activeCellChanged.connect((_, cell) => {
      refresh();
      if (cell && cell.model.type === 'code') {
        (cell as CodeCell).model.outputs.changed.connect(refresh);
      }
    });

    if (palette) {
      const category = trans.__('AI assistance');
      for (const command of Object.values(AICommandIDs)) {
        palette.addItem({ command, category });
      }
    }
  }
};
