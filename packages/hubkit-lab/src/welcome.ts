/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { requestAPI } from './request';

/**
 * At a new user's first visit, open the welcome notebook copied into their home, once: the
 * server says which (hubkit_lab/welcome.py) and is told when it was opened.
 */
export const welcomePlugin: JupyterFrontEndPlugin<void> = {
  id: '@hubkit/lab:welcome',
  description: 'Opens the welcome notebook at the first visit.',
  autoStart: true,
  activate: async (app: JupyterFrontEnd): Promise<void> => {
    await app.restored;
    try {
      const { path } = await requestAPI<{ path: string | null }>('welcome');
      if (path) {
        await app.commands.execute('docmanager:open', { path });
        await requestAPI<void>('welcome', { method: 'POST' });
      }
    } catch (reason) {
      // not worth a dialog: the notebook is in the file browser
      console.warn('hubkit-lab: could not open the welcome notebook.', reason);
    }
  }
};
