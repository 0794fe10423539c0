import { describe, expect, it } from 'vitest';
import { addDocument, startIngestion } from './ingest.js';
import { createInteractiveGate } from './interactive-gate.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

describe('createInteractiveGate', () => {
  it('is idle until work enters, and again once the last work leaves (each leave counted once)', async () => {
    const gate = createInteractiveGate();
    await gate.idle();
    const first = gate.enter();
    const second = gate.enter();
    let idle = false;
    const waiting = gate.idle().then(() => (idle = true));
    first();
    first();
    await Promise.resolve();
    expect(idle).toBe(false);
    expect(gate.active).toBe(1);
    second();
    await waiting;
    expect(gate.active).toBe(0);
  });
});

describe('background ingestion while a question runs', () => {
  const newApp = useAppsInTempHomes('docsight-app-gate-');
  const threePages = new TextEncoder().encode('first page\fsecond page\fthird page');

  it('holds back between pages until the question is answered', async () => {
    const app = newApp();
    const { job } = await addDocument(app, { bytes: threePages, name: 'notes.txt' });
    const leave = app.interactive.enter();
    const ingestion = await startIngestion(app, { pollMs: 20 });
    try {
      const pages: number[] = [];
      ingestion.events.on('progress', (p) => pages.push(p.pagesDone));
      await expect.poll(() => pages.includes(1)).toBe(true);
      // The first page was written; the second waits for the question to finish.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(Math.max(...pages)).toBe(1);
      leave();
      await ingestion.settled([job!.id]);
      expect(Math.max(...pages)).toBe(3);
    } finally {
      leave();
      await ingestion.stop();
    }
  });

  it('does not hold back when library.yieldToQuestions is off', async () => {
    const app = newApp({ library: { yieldToQuestions: false } });
    const { job } = await addDocument(app, { bytes: threePages, name: 'notes.txt' });
    const leave = app.interactive.enter();
    const ingestion = await startIngestion(app, { pollMs: 20 });
    try {
      await ingestion.settled([job!.id]);
      expect((await app.library().store.getJob(job!.id))?.pagesDone).toBe(3);
    } finally {
      leave();
      await ingestion.stop();
    }
  });
});
