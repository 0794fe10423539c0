import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModel } from '../understand/engine/test-support/test-models.js';
import { loadModelInBackground, modelLoadState } from './model-loading.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

describe('loadModelInBackground', () => {
  const newApp = useAppsInTempHomes('docsight-app-load-');
  let model: Awaited<ReturnType<typeof tinyModel>>;
  beforeAll(async () => {
    model = await tinyModel();
  });
  afterAll(async () => {
    await rm(model.dir, { recursive: true, force: true });
  });

  it('loads the model before any request: loading, then ready, and the engine says so', async () => {
    const app = newApp({ understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1 } });
    expect(modelLoadState(app).state).toBe('not-started');
    loadModelInBackground(app);
    expect(modelLoadState(app).state).toBe('loading');
    await expect.poll(() => modelLoadState(app).state, { timeout: 30_000 }).toBe('ready');
    expect((await app.engine().engine.status()).ready).toBe(true);
  });

  it('records why a model cannot load, with what the engine said', async () => {
    const broken = join(model.dir, 'broken.gguf');
    writeFileSync(broken, 'not a gguf file');
    const app = newApp({ understand: { modelPath: broken, mmprojPath: model.mmproj, threads: 1 } });
    loadModelInBackground(app);
    await expect.poll(() => modelLoadState(app).state, { timeout: 30_000 }).toBe('failed');
    expect(modelLoadState(app).reason).toMatch(/broken\.gguf/);
  });

  it('has nothing to do without a model: the reason says how to get one', () => {
    const app = newApp();
    loadModelInBackground(app);
    expect(modelLoadState(app)).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/models pull/),
    });
  });
});
