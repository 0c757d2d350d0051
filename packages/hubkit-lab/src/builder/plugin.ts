/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { Cell, ICellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { databaseIcon } from '../browser';
import { cellState, isSqlCell, setCellState } from '../sqlcells';
import { ISqlWorkspace } from '../sqlplugins';
import { CommandIDs } from '../tokens';
import { emptyState, IBuilderCell, IBuilt, IBuilderState, parametersSource } from './model';
import { QueryBuilder } from './widget';

/**
 * `metadata.hubkit.builder` of a SQL cell the builder made; `metadata.hubkit.builder_parameters`
 * (the SQL cell's output variable) marks the Python cell above it that defines its parameters.
 */
function hubkitMetadata(model: ICellModel): Record<string, unknown> {
  return { ...((model.getMetadata('hubkit') as Record<string, unknown>) ?? {}) };
}

export function builderCell(model: ICellModel): IBuilderCell | null {
  const found = hubkitMetadata(model).builder as IBuilderCell | undefined;
  return found && typeof found.connection === 'string' && found.state ? found : null;
}

/**
 * Write the builder's query into a notebook: the SQL cell (magic, SQL, metadata with the
 * builder's state), and above it the Python cell defining its parameters (when it has any).
 * `cell`: the SQL cell to update; null inserts below the active cell.
 */
function writeQuery(
  panel: NotebookPanel,
  cell: Cell | null,
  connection: string,
  output: string,
  built: IBuilt,
  state: IBuilderState
): void {
  const notebook = panel.content;
  if (!cell) {
    NotebookActions.insertBelow(notebook);
    cell = notebook.activeCell!;
  }
  const index = notebook.widgets.indexOf(cell);
  const sqlModel = cell.model;
  const limit = isSqlCell(sqlModel) ? cellState(sqlModel).limit : null;
  sqlModel.sharedModel.setSource(built.sql);
  setCellState(sqlModel, { connection, output, limit });
  sqlModel.setMetadata('hubkit', { ...hubkitMetadata(sqlModel), builder: { connection, state } });

  const above = index > 0 ? notebook.widgets[index - 1] : null;
  const hasParams = Object.keys(built.params).length > 0;
  const paramsCell =
    above && above.model.type === 'code' && 'builder_parameters' in hubkitMetadata(above.model)
      ? above
      : null;
  if (hasParams) {
    let target = paramsCell;
    if (!target) {
      notebook.activeCellIndex = index;
      NotebookActions.insertAbove(notebook);
      target = notebook.activeCell!;
    }
    target.model.sharedModel.setSource(parametersSource(output, built.params));
    target.model.setMetadata('hubkit', {
      ...hubkitMetadata(target.model),
      builder_parameters: output
    });
    notebook.activeCellIndex = notebook.widgets.indexOf(target);
  } else if (paramsCell) {
    panel.model!.sharedModel.deleteCell(index - 1);
  }
}

/**
 * The visual query builder, opened from the Databases panel (a connection or a table) and
 * from a SQL cell's toolbar (with the cell's builder state when the builder made it).
 */
export const builderPlugin: JupyterFrontEndPlugin<void> = {
  id: '@hubkit/lab:query-builder',
  description: 'A visual query builder that writes SQL cells.',
  autoStart: true,
  requires: [ISqlWorkspace, INotebookTracker],
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    workspace: ISqlWorkspace,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('hubkit_lab');
    let count = 0;

    const open = async (connection: string | null, state: IBuilderState, cell: Cell | null) => {
      const panel = tracker.currentWidget;
      const name = connection ?? (await workspace.cells.defaultState()).connection;
      const output =
        cell && isSqlCell(cell.model) ? cellState(cell.model).output : `query${++count}`;
      const updating = cell !== null && builderCell(cell.model) !== null;
      const content = new QueryBuilder({
        api: workspace.api,
        connection: name,
        state,
        output,
        trans,
        target: {
          label: updating ? trans.__('Update SQL cell') : trans.__('Insert as SQL cell'),
          insert: async (out, built, s) => {
            const notebook = panel && !panel.isDisposed ? panel : tracker.currentWidget;
            if (!notebook) {
              return false;
            }
            const target = updating && cell && !cell.isDisposed ? cell : null;
            writeQuery(notebook, target, name, out, built, s);
            widget.dispose();
            app.shell.activateById(notebook.id);
            notebook.content.activate(); // Shift+Enter runs the parameters, then the query
            return true;
          }
        }
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `hk-builder-${Date.now()}`;
      widget.title.label = trans.__('Query builder: %1', name);
      widget.title.icon = databaseIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    };

    workspace.cells.builderRequested.connect((_, cell) => {
      tracker.currentWidget?.content.widgets.includes(cell) &&
        (tracker.currentWidget.content.activeCellIndex =
          tracker.currentWidget.content.widgets.indexOf(cell));
      const saved = builderCell(cell.model);
      const connection = saved?.connection ?? cellState(cell.model).connection;
      void open(connection, saved ? structuredClone(saved.state) : emptyState(), cell);
    });

    app.commands.addCommand(CommandIDs.openBuilder, {
      label: trans.__('Query Builder…'),
      caption: trans.__('Build a SQL query visually and insert it as a SQL cell'),
      icon: databaseIcon,
      execute: args => {
        const state = emptyState();
        const schema = args.schema as string | undefined;
        const table = args.table as string | undefined;
        if (schema && table) {
          state.tables.push({ schema, table });
        }
        return open((args.connection as string) ?? null, state, null);
      }
    });
    palette?.addItem({ command: CommandIDs.openBuilder, category: trans.__('Databases') });
  }
};
