/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { linkIcon } from '@jupyterlab/ui-components';

import { el } from '../dom';
import { ShareCodesBody } from './dialog';
import { HubShareCodes } from './hub';

const PLUGIN_ID = '@hubkit/lab:share-codes';

namespace CommandIDs {
  export const shareCode = 'hubkit-lab:share-code';
}

/**
 * jupyter-collaboration's Share dialog ("Generate a Shared Link"), and the part of its body
 * that only the hub's variant has (the list of who has access).
 */
const SHARE_DIALOG_COMMAND = 'collaboration:shared-link';
const SHARE_DIALOG_SHARES = '.jp-shared-link-body .jp-ManageSharesBody-selected-users';

/**
 * Share codes in JupyterLab: "Share with a link (share code)…" in the command palette and as
 * a button in jupyter-collaboration's Share dialog opens a dialog that makes a code (a link
 * whoever accepts it in the hub gets a share of this server with), copies its link, lists
 * the server's codes and revokes them. Only for whoever may manage the server's shares: its
 * owner (sharing/hub.ts says how the browser reaches the hub).
 */
export const shareCodesPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "Share the server with a link (JupyterHub's share codes): make, list, revoke.",
  autoStart: true,
  optional: [ICommandPalette, ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): Promise<void> => {
    const codes = HubShareCodes.fromPageConfig();
    if (!codes) {
      return; // not a server of JupyterHub: no share codes
    }
    const trans = (translator ?? nullTranslator).load('hubkit');
    let canShare = false;
    const label = trans.__('Share with a link (share code)…');

    const open = async (): Promise<void> => {
      const dialog: Dialog<unknown> = new Dialog({
        title: trans.__('Share with a Link'),
        body: new ShareCodesBody({
          codes,
          trans,
          manageShares: app.commands.hasCommand(SHARE_DIALOG_COMMAND)
            ? () => {
                dialog.reject();
                void app.commands.execute(SHARE_DIALOG_COMMAND);
              }
            : undefined
        }),
        buttons: [Dialog.cancelButton({ label: trans.__('Close') })],
        focusNodeSelector: '.hk-ShareCodes-createButton'
      });
      await dialog.launch();
    };

    app.commands.addCommand(CommandIDs.shareCode, {
      label,
      caption: trans.__(
        'Make a link that lets whoever accepts it use this server; list and revoke the links'
      ),
      icon: linkIcon,
      isEnabled: () => canShare,
      isVisible: () => canShare,
      execute: () => (canShare ? open() : undefined)
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.shareCode, category: trans.__('Collaboration') });
    }

    try {
      canShare = await codes.canShare();
    } catch (error) {
      console.warn(`${PLUGIN_ID}: cannot ask the hub what this token may do.`, error);
      return;
    }
    app.commands.notifyCommandChanged(CommandIDs.shareCode);
    if (!canShare) {
      return;
    }

    // The Share dialog gets a button to this one: dialogs are attached to the body, with
    // their content built, so watching the body's children finds it at once.
    const addButton = (node: Node): void => {
      if (!(node instanceof HTMLElement)) {
        return;
      }
      const shares = node.querySelector(SHARE_DIALOG_SHARES);
      const body = shares?.parentElement;
      if (!body || body.querySelector('.hk-ShareCodes-open')) {
        return;
      }
      const entry = el('div', 'hk-ShareCodes-entry');
      const button = el('button', 'jp-mod-styled hk-ShareCodes-open', label);
      button.title = trans.__(
        'A link anyone with an account on this hub can accept, until it expires or you revoke it'
      );
      button.addEventListener('click', () => {
        node.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-reject')?.click();
        void app.commands.execute(CommandIDs.shareCode);
      });
      entry.append(button);
      body.append(entry);
    };
    new MutationObserver(records => {
      for (const record of records) {
        record.addedNodes.forEach(addButton);
      }
    }).observe(document.body, { childList: true });
  }
};
