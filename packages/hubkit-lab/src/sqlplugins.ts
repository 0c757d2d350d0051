/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import {
  EditorExtensionRegistry,
  IEditorExtensionRegistry
} from '@jupyterlab/codemirror';
import {
  INotebookTracker,
  INotebookWidgetFactory,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { addIcon, refreshIcon, ToolbarButton } from '@jupyterlab/ui-components';
import { Token } from '@lumino/coreutils';

import { SqlApi } from './api';
import { DatabasesPanel, databaseIcon } from './browser';
import { connectionDialog, removeConnectionDialog } from './dialogs';
import { CellTypeSwitcher, isSqlCell, setCellState, SqlCells } from './sqlcells';
import { sqlCompartment } from './sqleditor';
import { CommandIDs } from './tokens';

/**
 * The SQL workspace of the front end: the API client (with its catalog cache) and the SQL
 * cells, shared by the plugins below.
 */
export interface ISqlWorkspace {
  readonly api: SqlApi;
  readonly cells: SqlCells;
}

export const ISqlWorkspace = new Token<ISqlWorkspace>(
  '@hubkit/lab:ISqlWorkspace',
  'The SQL workspace: connections, catalog and SQL cells.'
);

/**
 * SQL cells: found in every notebook, given a toolbar and a SQL editor; the command
 * "Change to SQL Cell" (Q in command mode, the cell's context menu, the palette).
 */
const sqlCellsPlugin: JupyterFrontEndPlugin<ISqlWorkspace> = {
  id: '@hubkit/lab:sql-cells',
  description: 'SQL cells: a connection picker, SQL highlighting and completion.',
  autoStart: true,
  provides: ISqlWorkspace,
  requires: [INotebookTracker, IEditorExtensionRegistry],
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    extensions: IEditorExtensionRegistry,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): ISqlWorkspace => {
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    const api = new SqlApi();
    const cells = new SqlCells(api, trans);

    // Every editor gets an empty compartment; a SQL cell's is filled with SQL support
    extensions.addExtension({
      name: 'hubkit-lab:sql-cell',
      factory: () => EditorExtensionRegistry.createImmutableExtension(sqlCompartment.of([]))
    });
    tracker.widgetAdded.connect((_, panel: NotebookPanel) => cells.track(panel));
    tracker.forEach(panel => cells.track(panel));

    app.commands.addCommand(CommandIDs.changeToSql, {
      label: trans.__('Change to SQL Cell'),
      caption: trans.__(
        'Turn the selected cells into SQL cells (a %%sql_cell magic, run by the kernel)'
      ),
      icon: databaseIcon,
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const panel = tracker.currentWidget;
        if (panel) {
          await cells.changeToSql(panel.content);
        }
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.changeToSql,
      selector: '.jp-Notebook .jp-Cell',
      rank: 12
    });
    palette?.addItem({
      command: CommandIDs.changeToSql,
      category: trans.__('Notebook Cell Operations')
    });
    return { api, cells };
  }
};

/**
 * The notebook toolbar's cell type menu with "SQL" (replaces JupyterLab's, same place).
 */
const cellTypePlugin: JupyterFrontEndPlugin<void> = {
  id: '@hubkit/lab:sql-cell-type',
  description: 'Adds "SQL" to the cell type menu of the notebook toolbar.',
  autoStart: true,
  // INotebookWidgetFactory: JupyterLab's cellType item is registered by then, and replaced
  requires: [ISqlWorkspace, IToolbarWidgetRegistry, INotebookWidgetFactory],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    workspace: ISqlWorkspace,
    toolbarRegistry: IToolbarWidgetRegistry,
    _factory: unknown,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    toolbarRegistry.addFactory<NotebookPanel>(
      'Notebook',
      'cellType',
      panel => new CellTypeSwitcher(panel.content, workspace.cells, trans)
    );
  }
};

/**
 * The Databases panel in the left sidebar, and the "New connection" dialog.
 */
const databasesPlugin: JupyterFrontEndPlugin<void> = {
  id: '@hubkit/lab:databases',
  description: 'The Databases panel: connections, schemas, tables and columns.',
  autoStart: true,
  requires: [ISqlWorkspace, INotebookTracker],
  optional: [ILabShell, ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    workspace: ISqlWorkspace,
    tracker: INotebookTracker,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    const { api } = workspace;
    const panel = new DatabasesPanel(
      api,
      {
        insert: (text: string) => {
          const cell = tracker.activeCell;
          const editor = cell?.editor;
          if (!cell || !editor) {
            return false;
          }
          const cursor = editor.getCursorPosition();
          if (isSqlCell(cell.model) && cursor.line === 0) {
            // never into the magic line: at the end of the SQL instead
            const source = cell.model.sharedModel.getSource();
            const insert = source.includes('\n') ? text : '\n' + text;
            cell.model.sharedModel.updateSource(source.length, source.length, insert);
            editor.setCursorPosition(editor.getPositionAt(source.length + insert.length)!);
          } else if (editor.replaceSelection) {
            editor.replaceSelection(text);
          } else {
            const offset = editor.getOffsetAt(cursor);
            cell.model.sharedModel.updateSource(offset, offset, text);
          }
          editor.focus();
          return true;
        },
        addSqlCell: async (connection: string, sql: string) => {
          const notebookPanel = tracker.currentWidget;
          if (!notebookPanel) {
            return false;
          }
          const notebook = notebookPanel.content;
          NotebookActions.insertBelow(notebook);
          const cell = notebook.activeCell;
          if (!cell) {
            return false;
          }
          cell.model.sharedModel.setSource(sql);
          const state = await workspace.cells.defaultState();
          setCellState(cell.model, { ...state, connection });
          app.shell.activateById(notebookPanel.id);
          return true;
        },
        editConnection: async connection => {
          await connectionDialog(api, trans, connection);
        },
        removeConnection: connection => removeConnectionDialog(api, trans, connection),
        openBuilder: (connection, schema, table) =>
          void app.commands.execute(CommandIDs.openBuilder, { connection, schema, table })
      },
      trans
    );
    panel.toolbar.addItem(
      'new-connection',
      new ToolbarButton({
        icon: addIcon,
        tooltip: trans.__('New connection'),
        onClick: () => void app.commands.execute(CommandIDs.newConnection)
      })
    );
    panel.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Refresh'),
        onClick: () => void app.commands.execute(CommandIDs.refreshDatabases)
      })
    );
    app.shell.add(panel, 'left', { rank: 650, type: 'Databases' });
    restorer?.add(panel, 'hubkit-lab-databases');

    app.commands.addCommand(CommandIDs.openDatabases, {
      label: trans.__('Show Databases'),
      caption: trans.__('The connections, their schemas, tables and columns'),
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.refreshDatabases, {
      label: trans.__('Refresh Databases'),
      icon: refreshIcon,
      execute: () => api.refresh()
    });
    app.commands.addCommand(CommandIDs.newConnection, {
      label: trans.__('New Database Connection…'),
      icon: addIcon,
      execute: async () => {
        await connectionDialog(api, trans, null);
      }
    });
    for (const command of [
      CommandIDs.openDatabases,
      CommandIDs.refreshDatabases,
      CommandIDs.newConnection
    ]) {
      palette?.addItem({ command, category: trans.__('Databases') });
    }
    void labShell;
  }
};

export const sqlPlugins: JupyterFrontEndPlugin<any>[] = [
  sqlCellsPlugin,
  cellTypePlugin,
  databasesPlugin
];
