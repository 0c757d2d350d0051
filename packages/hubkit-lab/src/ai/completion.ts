/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

import {
  CompletionHandler,
  IInlineCompletionContext,
  IInlineCompletionList,
  IInlineCompletionProvider,
  InlineCompletionTriggerKind
} from '@jupyterlab/completer';
import { TranslationBundle } from '@jupyterlab/translation';

import { requestAPI } from '../request';

/**
 * The provider's identifier in JupyterLab's Inline Completer settings.
 */
export const AI_COMPLETION_PROVIDER = '@hubkit/lab:ai-completion';

/**
 * Inline code completion from the hub's AI model, on JupyterLab's own inline completer.
 *
 * jupyter-ai 3.x dropped its provider (jupyterlab/jupyter-ai#1538). This one asks the server
 * extension (POST /hubkit-lab/ai/complete), which asks the policy's default model through the
 * hub's gateway with the server's credential: no key reaches the browser. It answers only when
 * invoked (Alt+\ in an editor, JupyterLab's "Invoke Inline Completer"), never as one types: each
 * completion is a request against the user's per-minute limit and budget.
 */
export class AICompletionProvider implements IInlineCompletionProvider {
  readonly identifier = AI_COMPLETION_PROVIDER;
  readonly name: string;
  // JupyterLab's default of 5 s is short for a model's answer through the gateway
  readonly schema = { default: { timeout: 30000 } };

  constructor(trans: TranslationBundle) {
    this.name = trans.__('AI model (hub)');
  }

  async fetch(
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ): Promise<IInlineCompletionList> {
    if (context.triggerKind !== InlineCompletionTriggerKind.Invoke) {
      return { items: [] };
    }
    const { completion } = await requestAPI<{ completion: string }>('ai/complete', {
      method: 'POST',
      body: JSON.stringify({
        prefix: request.text.slice(0, request.offset),
        suffix: request.text.slice(request.offset),
        language: languageOf(request.mimeType)
      })
    });
    return { items: completion ? [{ insertText: completion }] : [] };
  }
}

/**
 * The editor's language, named for the model, from its MIME type.
 */
function languageOf(mimeType: string | undefined): string {
  if (!mimeType || mimeType.includes('python')) {
    return 'Python';
  }
  if (mimeType.includes('sql')) {
    return 'SQL';
  }
  return mimeType.replace(/^text\/(x-)?/, '');
}
