/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { notebookIcon } from '@jupyterlab/ui-components';

import { requestAPI } from './request';
import { CommandIDs } from './tokens';

/**
 * The plugin's id.
 */
const PLUGIN_ID = '@hubkit/lab:templates';

/**
 * A template as the server lists it (hubkit_lab/templates.py).
 */
export interface ITemplate {
  name: string;
  title: string;
  description: string;
}

/**
 * The launcher's Templates section: one card per notebook in the admin's templates folder.
 * A card makes a copy of its template in the launcher's folder and opens it.
 */
export const templatesPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "New notebooks from the admin's templates, in the launcher.",
  autoStart: true,
  requires: [ILauncher],
  optional: [ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    launcher: ILauncher,
    translator: ITranslator | null
  ): Promise<void> => {
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    app.commands.addCommand(CommandIDs.newFromTemplate, {
      label: args =>
        args.title ? String(args.title) : trans.__('New Notebook from Template'),
      caption: args => String(args.description ?? ''),
      icon: notebookIcon,
      execute: async args => {
        try {
          const { path } = await requestAPI<{ path: string }>('templates', {
            method: 'POST',
            body: JSON.stringify({ name: args.name, dir: args.cwd ?? '' })
          });
          return app.commands.execute('docmanager:open', { path });
        } catch (reason) {
          await showErrorMessage(
            trans.__('Cannot create a notebook from this template'),
            reason as Error
          );
        }
      }
    });
    let templates: ITemplate[];
    try {
      ({ templates } = await requestAPI<{ templates: ITemplate[] }>(
        'templates'
      ));
    } catch (reason) {
      console.error(`${PLUGIN_ID}: cannot list the templates.`, reason);
      return;
    }
    templates.forEach((template, rank) => {
      launcher.add({
        command: CommandIDs.newFromTemplate,
        args: { ...template },
        category: trans.__('Templates'),
        rank
      });
    });
  }
};
