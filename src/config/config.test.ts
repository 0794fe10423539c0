import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DocSightError } from '../errors.js';
import { loadConfig } from './config.js';

const tempHome = () => mkdtempSync(join(tmpdir(), 'docsight-config-'));

describe('loadConfig', () => {
  it('fills sensible defaults under DOCSIGHT_HOME', () => {
    const home = tempHome();
    const config = loadConfig({ env: { DOCSIGHT_HOME: home } });
    expect(config.home).toBe(home);
    expect(config.ocr.threads).toBe(1);
    expect(config.intake.maxPixels).toBe(100_000_000);
  });

  it('lets flags beat the environment, and the environment beat the config file', () => {
    const home = tempHome();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ ocr: { threads: 3, batchSize: 8 } }));
    const fromFile = loadConfig({ env: { DOCSIGHT_HOME: home } });
    expect(fromFile.ocr).toMatchObject({ threads: 3, batchSize: 8 });
    const fromEnv = loadConfig({ env: { DOCSIGHT_HOME: home, DOCSIGHT_OCR_THREADS: '2' } });
    expect(fromEnv.ocr).toMatchObject({ threads: 2, batchSize: 8 });
    const fromFlags = loadConfig({
      env: { DOCSIGHT_HOME: home, DOCSIGHT_OCR_THREADS: '2' },
      flags: { ocr: { threads: 4 } },
    });
    expect(fromFlags.ocr.threads).toBe(4);
  });

  it('names the bad setting and the rule it broke', () => {
    const home = tempHome();
    expect(() => loadConfig({ env: { DOCSIGHT_HOME: home }, flags: { ocr: { threads: 0 } } })).toThrow(
      /ocr\.threads: .*>=\s*1/,
    );
    expect(() => loadConfig({ env: { DOCSIGHT_HOME: home, DOCSIGHT_PDF_DPI: 'high' } })).toThrow(
      /DOCSIGHT_PDF_DPI=high is not a number/,
    );
  });

  it('rejects unknown keys and broken JSON in the config file with the file name', () => {
    const home = tempHome();
    const file = join(home, 'bad.json');
    writeFileSync(file, '{"ocr": {"thread": 2}}');
    expect(() => loadConfig({ env: { DOCSIGHT_HOME: home }, configFile: file })).toThrow(/bad\.json.*thread/);
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ env: { DOCSIGHT_HOME: home }, configFile: file })).toThrow(DocSightError);
  });
});
