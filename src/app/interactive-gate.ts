/**
 * Questions come first: while someone waits for an answer, background ingestion holds back between pages, so
 * a bulk upload never slows a chat down (on a 2-core machine an OCR page and a generation fight for the same
 * cores). Generations enter the gate while they run; ingestion waits at `idle()` before each next page.
 */
export interface InteractiveGate {
  /** Marks interactive work as running until the returned function is called (once). */
  enter(): () => void;
  /** Resolves at once when no interactive work runs, else when the last one leaves. */
  idle(): Promise<void>;
  /** How many interactive requests run now. */
  readonly active: number;
}

/**
 * @example
 *   const leave = gate.enter();
 *   try { for await (const delta of engine.chat(request)) yield delta; } finally { leave(); }
 *   // elsewhere, between two pages of a background job:
 *   await gate.idle();
 */
export function createInteractiveGate(): InteractiveGate {
  let active = 0;
  let waiters: (() => void)[] = [];
  return {
    enter() {
      active++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        active--;
        if (active === 0) {
          const ready = waiters;
          waiters = [];
          for (const resolve of ready) resolve();
        }
      };
    },
    idle() {
      return active === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
    get active() {
      return active;
    },
  };
}
