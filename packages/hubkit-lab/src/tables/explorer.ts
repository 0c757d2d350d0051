/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

/*
 * Graphic Walker (@kanaries/graphic-walker, Apache-2.0), the drag-and-drop chart builder, in
 * its own chunk: explore.ts imports this module only when a user opens the explorer, so its
 * megabytes are not part of JupyterLab's page load.
 */

import { GraphicWalker, IDataQueryPayload, IMutField, IRow } from '@kanaries/graphic-walker';
import * as React from 'react';
import { createRoot } from 'react-dom/client';

/**
 * What the explorer shows: the table's fields and the kernel's answers to Graphic Walker's
 * data queries.
 */
export interface IExplorerOptions {
  fields: IMutField[];
  computation: (payload: IDataQueryPayload) => Promise<IRow[]>;
  dark: boolean;
  onError: (error: Error) => void;
}

/**
 * Render Graphic Walker into `node`; the returned function unmounts it.
 */
export function mountExplorer(node: HTMLElement, options: IExplorerOptions): () => void {
  const root = createRoot(node);
  root.render(
    React.createElement(GraphicWalker, {
      fields: options.fields,
      computation: options.computation,
      appearance: options.dark ? 'dark' : 'light',
      // no enhanceAPI: nothing asks Kanaries' hosted services (its "ask" features stay off)
      onError: options.onError
    })
  );
  return () => root.unmount();
}
