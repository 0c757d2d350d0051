/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IStatusBar } from '@jupyterlab/statusbar';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { aiPlugin } from './ai/plugin';
import { builderPlugin } from './builder/plugin';
import { commentsPlugin } from './comments/plugin';
import { presencePlugin } from './presence/plugin';
import { historyPlugin } from './history/plugin';
import { requestAPI } from './request';
import { shareCodesPlugin } from './sharing/plugin';
import { sqlPlugins } from './sqlplugins';
import { tablesPlugin } from './tables/plugin';
import { templatesPlugin } from './templates';
import { IServerInfo } from './tokens';
import { welcomePlugin } from './welcome';

/**
 * The plugin's id.
 */
const PLUGIN_ID = '@hubkit/lab:server-status';

/**
 * The CSS class of the status bar item.
 */
const ITEM_CLASS = 'hk-ServerStatus';

/**
 * A CPU count as the hub's size picker writes it: `1 CPU`, `0.5 CPU`, `2 CPUs`.
 */
function formatCpu(trans: TranslationBundle, cpus: number): string {
  if (Number.isInteger(cpus)) {
    return trans._n('%1 CPU', '%1 CPUs', cpus);
  }
  return trans.__('%1 CPU', String(Number(cpus.toFixed(2)))); // a fraction of one
}

/**
 * A memory size in binary units, as JupyterHub's `2G` means them: `2 GB`, `512 MB`.
 */
function formatMemory(trans: TranslationBundle, bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) {
    return trans.__('%1 GB', String(Number(gib.toFixed(gib < 10 ? 1 : 0))));
  }
  return trans.__('%1 MB', String(Math.round(bytes / 1024 ** 2)));
}

/**
 * The status bar item: which profile and size this server runs, and its limits.
 */
export class ServerStatus extends Widget {
  constructor(trans: TranslationBundle) {
    super({ node: document.createElement('span') });
    this._trans = trans;
    this.addClass(ITEM_CLASS);
    this.addClass('jp-StatusBar-TextItem');
    this.node.setAttribute('role', 'status');
  }

  /**
   * Whether a profile is known (the item shows nothing otherwise).
   */
  get known(): boolean {
    return this._known;
  }

  /**
   * Show the server's information.
   */
  render(info: IServerInfo): void {
    const trans = this._trans;
    const profile = info.profile_name ?? info.profile;
    this._known = profile !== null && profile !== '';
    if (!this._known) {
      this.node.textContent = '';
      this.node.title = '';
      return;
    }
    const limits: string[] = [];
    if (info.cpu_limit !== null) {
      limits.push(formatCpu(trans, info.cpu_limit));
    }
    if (info.mem_limit !== null) {
      limits.push(formatMemory(trans, info.mem_limit));
    }
    const size = info.size_name ?? info.size;
    let text = profile as string;
    if (size) {
      text = limits.length
        ? trans.__('%1 · %2: %3', text, size, limits.join(', '))
        : trans.__('%1 · %2', text, size);
    } else if (limits.length) {
      text = trans.__('%1 · %2', text, limits.join(', '));
    }
    this.node.textContent = text;

    const tooltip = [trans.__('Profile: %1', profile as string)];
    if (size) {
      tooltip.push(trans.__('Size: %1', size));
    }
    tooltip.push(
      trans.__(
        'CPU limit: %1',
        info.cpu_limit !== null ? formatCpu(trans, info.cpu_limit) : trans.__('none')
      ),
      trans.__(
        'Memory limit: %1',
        info.mem_limit !== null ? formatMemory(trans, info.mem_limit) : trans.__('none')
      )
    );
    this.node.title = tooltip.join('\n');
  }

  private _trans: TranslationBundle;
  private _known = false;
}

/**
 * Shows in the status bar which profile and size the server runs.
 */
const serverStatus: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Shows the profile and size of the server in the status bar.',
  autoStart: true,
  optional: [IStatusBar, ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    translator: ITranslator | null
  ): Promise<void> => {
    if (!statusBar) {
      return; // e.g. in an app without a status bar
    }
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    const item = new ServerStatus(trans);
    let info: IServerInfo;
    try {
      info = await requestAPI<IServerInfo>('server');
    } catch (reason) {
      console.error(`${PLUGIN_ID}: cannot read the server's profile.`, reason);
      return;
    }
    item.render(info);
    if (!item.known) {
      return; // no profile (a server not started by the hub): nothing to show
    }
    statusBar.registerStatusItem(PLUGIN_ID, {
      item,
      align: 'left',
      rank: 100,
      isActive: () => item.known
    });
  }
};


export default [
  serverStatus,
  ...sqlPlugins,
  tablesPlugin,
  templatesPlugin,
  builderPlugin,
  welcomePlugin,
  aiPlugin,
  commentsPlugin,
  presencePlugin,
  historyPlugin,
  shareCodesPlugin
];
