import { basename } from 'node:path';
import type { Config } from '../config/config.js';
import { DEFAULT_MODEL } from '../models/catalog.js';

/**
 * The model id the API reports (`/v1/models`, the `model` of every completion): the upstream's model for the
 * openai backend, the file name (without .gguf) of a model given by path, else the pulled catalog model.
 */
export function servedModelName(config: Pick<Config, 'understand'>): string {
  const u = config.understand;
  if (u.backend === 'openai') return u.upstreamModel;
  if (u.modelPath) return basename(u.modelPath).replace(/\.gguf$/i, '');
  return DEFAULT_MODEL;
}
