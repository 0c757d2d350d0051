/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  InputDialog,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { historyAPI, historyIcon, HistoryPanel } from './panel';

const PLUGIN_ID = '@hubkit/lab:history';

namespace CommandIDs {
  export const create = 'hubkit-lab:create-checkpoint';
  export const show = 'hubkit-lab:show-history';
}

/**
 * A notebook's history: named checkpoints and those made on save, listed with author and time
 * in the right sidebar's History panel, compared with the notebook now (nbdime, on the
 * server) and restored whole or cell by cell through the shared document
 * (hubkit_lab/history.py).
 */
export const historyPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Notebook checkpoints with a name, author and time; compare and restore.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('hubkit');
    const onError = (title: string, error: unknown) =>
      void showErrorMessage(title, String(error));

    const create = async (notebook: NotebookPanel | null): Promise<void> => {
      if (!notebook) {
        return;
      }
      const answer = await InputDialog.getText({
        title: trans.__('Create Checkpoint'),
        label: trans.__('A name for this version of %1', notebook.context.localPath),
        placeholder: trans.__('e.g. Before the cleanup'),
        okLabel: trans.__('Create')
      });
      const name = answer.value?.trim();
      if (!answer.button.accept || !name) {
        return;
      }
      try {
        await historyAPI(notebook.context.path, { name });
      } catch (error) {
        onError(trans.__('Checkpoint not created'), error);
        return;
      }
      panel.notebook = notebook;
      app.shell.activateById(panel.id);
      await panel.refresh();
    };

    const panel: HistoryPanel = new HistoryPanel({
      trans,
      create: (): Promise<void> => create(panel.notebook),
      confirmRestore: async checkpoint => {
        const result = await showDialog({
          title: trans.__('Restore the Notebook?'),
          body: trans.__(
            'Every cell goes back to "%1", for everyone in the notebook. To keep the version you have now, create a checkpoint first.',
            checkpoint.name || trans.__('Saved')
          ),
          buttons: [
            Dialog.cancelButton(),
            Dialog.warnButton({ label: trans.__('Restore') })
          ]
        });
        return result.button.accept;
      },
      onError
    });
    app.shell.add(panel, 'right', { rank: 660 });

    tracker.currentChanged.connect((_, notebook) => {
      panel.notebook = notebook;
    });
    panel.notebook = tracker.currentWidget;
    // A save (Ctrl+S) is followed by JupyterLab's request for a checkpoint: list it once made
    const watch = (notebook: NotebookPanel) =>
      notebook.context.saveState.connect((_, state) => {
        if (state === 'completed' && panel.notebook === notebook) {
          window.setTimeout(() => void panel.refresh(), 1000);
        }
      });
    tracker.widgetAdded.connect((_, notebook) => watch(notebook));
    tracker.forEach(watch);

    app.commands.addCommand(CommandIDs.create, {
      label: trans.__('Create Checkpoint…'),
      caption: trans.__('Keep this version of the notebook under a name, in its History'),
      icon: args => (args.toolbar ? historyIcon : undefined),
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => create(tracker.currentWidget)
    });
    app.commands.addCommand(CommandIDs.show, {
      label: trans.__('Show Notebook History'),
      caption: trans.__('Checkpoints of the notebook: compare and restore'),
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => {
        panel.notebook = tracker.currentWidget;
        app.shell.activateById(panel.id);
      }
    });
    if (palette) {
      const category = trans.__('Notebook Operations');
      palette.addItem({ command: CommandIDs.create, category });
      palette.addItem({ command: CommandIDs.show, category });
    }
  }
};
