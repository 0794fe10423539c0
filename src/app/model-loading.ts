import { describeError } from '../errors.js';
import type { DocSight } from './docsight.js';

/** Where the vision-language model stands, for `/v1/models` and `/ready`. */
export interface ModelLoadState {
  state: 'not-started' | 'loading' | 'ready' | 'failed';
  /** Why it failed, with what to do (the engine's own message). */
  reason?: string;
}

/** An engine slot that can load its model before the first request (the local llama engine). */
interface Startable {
  start(): Promise<void>;
}
const isStartable = (slot: object): slot is Startable =>
  typeof (slot as Partial<Startable>).start === 'function';

const states = new WeakMap<DocSight, ModelLoadState>();

/**
 * Starts loading the model of every local engine slot now, without waiting: a server is answering HTTP before
 * its model is in memory, and the first question does not pay for the load. A failure (missing or corrupt
 * files) is recorded with its reason; the next request tries again and reports it.
 *
 * @example
 *   await server.listen(…);
 *   loadModelInBackground(app);
 */
export function loadModelInBackground(app: DocSight): void {
  let slots: readonly object[];
  try {
    slots = app.engine().engine.slots;
  } catch (err) {
    states.set(app, { state: 'failed', reason: describeError(err) });
    return;
  }
  const startable = slots.filter(isStartable);
  if (startable.length === 0) return; // an upstream: nothing to load here
  states.set(app, { state: 'loading' });
  Promise.all(startable.map((slot) => slot.start())).then(
    () => states.set(app, { state: 'ready' }),
    (err: unknown) => states.set(app, { state: 'failed', reason: describeError(err) }),
  );
}

/** The state `loadModelInBackground` left; 'not-started' when it was never called (models load on first use). */
export function modelLoadState(app: DocSight): ModelLoadState {
  return states.get(app) ?? { state: 'not-started' };
}
