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
 * Open the welcome notebook if the server says there is one to open (hubkit_lab/welcome.py),
 * and tell it so. A visit that opens a file by its URL (/lab/tree/...) is left as it is.
 */
async function openWelcome(
  app: JupyterFrontEnd,
  tree: JupyterFrontEnd.ITreeResolver | null
): Promise<void> {
  const routed = tree ? await tree.paths : null;
  await app.restored;
  if (routed?.file) {
    return;
  }
  const { path } = await requestAPI<{ path: string | null }>('welcome');
  if (path) {
    await app.commands.execute('docmanager:open', { path });
    await requestAPI<void>('welcome', { method: 'POST' });
  }
}

/**
 * At a new user's first visit, open the welcome notebook copied into their home, once (the
 * next plain visit if the first one opened a file by its URL).
 */
export const welcomePlugin: JupyterFrontEndPlugin<void> = {
  id: '@hubkit/lab:welcome',
  description: 'Opens the welcome notebook at the first visit.',
  autoStart: true,
  optional: [JupyterFrontEnd.ITreeResolver],
  activate: (app: JupyterFrontEnd, tree: JupyterFrontEnd.ITreeResolver | null): void => {
    // not awaited: JupyterLab is restored only once every plugin is activated
    openWelcome(app, tree).catch(reason =>
      // not worth a dialog: the notebook is in the file browser
      console.warn('hubkit-lab: could not open the welcome notebook.', reason)
    );
  }
};
