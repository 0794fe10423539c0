import type { AnswerDone, AnswerStats } from '../../app/engine-answer.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The stderr note on where the answer's image came from: the image-state cache (llama), the engine's KV
 * cache (a follow-up), or the upstream (openai).
 */
export function answerSource(stats: AnswerStats, options: { followUp?: boolean } = {}): string {
  switch (stats.imageState) {
    case 'loaded':
      return 'image state from cache';
    case 'saved':
      return 'image state cached for follow-ups';
    case 'kept':
      return 'follow-up';
    case 'none':
      if (options.followUp) return 'follow-up';
      // The local model with the image-state cache turned off counts encoded images; an upstream cannot.
      return stats.imagesEncoded === undefined ? 'answered upstream' : 'image state not cached';
  }
}

/** Where the time of an answer went, for stderr: `source; N image(s) encoded in …; prefill …; …` (what is known). */
export function describeAnswer(done: AnswerDone, source: string): string {
  const { stats, usage } = done;
  const parts = [source];
  if (stats.imagesEncoded !== undefined && stats.encodeMs !== undefined)
    parts.push(`${stats.imagesEncoded} image(s) encoded in ${seconds(stats.encodeMs)}`);
  if (stats.prefillMs !== undefined) parts.push(`prefill ${seconds(stats.prefillMs)}`);
  if (stats.generatedTokens !== undefined && stats.decodeMs !== undefined)
    parts.push(`${stats.generatedTokens} tokens in ${seconds(stats.decodeMs)}`);
  else if (usage) parts.push(`${usage.promptTokens} prompt + ${usage.completionTokens} answer tokens`);
  if (stats.firstTextMs !== undefined) parts.push(`first text after ${seconds(stats.firstTextMs)}`);
  return parts.join('; ');
}
