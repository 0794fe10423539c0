import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { runCliCaptured } from './test-support/run-cli-captured.js';

const tempDir = useTempDirs('docsight-cli-config-');

describe('docsight config', () => {
  it('prints one setting a line, file and environment merged, the API key masked', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ library: { chunkChars: 900 } }));
    const r = await runCliCaptured(['--home', home, 'config'], {
      DOCSIGHT_OCR_THREADS: '3',
      DOCSIGHT_UPSTREAM: 'http://gpu1:8080',
      DOCSIGHT_UPSTREAM_API_KEY: 'sk-secret-123',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`home = ${JSON.stringify(home)}\n`);
    expect(r.stdout).toContain('ocr.threads = 3\n');
    expect(r.stdout).toContain('library.chunkChars = 900\n');
    expect(r.stdout).toContain('understand.apiKey = "******** (set)"\n');
    expect(r.stdout).not.toContain('sk-secret-123');
  });

  it('prints JSON with --json, and refuses an invalid configuration with BAD_CONFIG', async () => {
    const home = tempDir();
    const json = await runCliCaptured(['--home', home, 'config', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ home, ocr: { threads: 1 }, intake: { pdfDpi: 300 } });
    const bad = await runCliCaptured(['--home', home, 'config'], { DOCSIGHT_PDF_DPI: '5000' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error \(BAD_CONFIG\).*intake\.pdfDpi/);
  });
});
