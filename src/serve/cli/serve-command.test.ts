import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { isLoopbackHost } from './serve-command.js';
import { runCliCaptured } from './test-support/run-cli-captured.js';

describe('isLoopbackHost', () => {
  it('tells addresses only this machine reaches from those the network reaches', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.com'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('docsight serve', () => {
  const tempDir = useTempDirs('docsight-serve-');

  it('refuses to listen on a network address without keys, saying why', async () => {
    const { code, stderr } = await runCliCaptured([
      '--home',
      tempDir(),
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/BAD_CONFIG.*Refusing to listen on 0\.0\.0\.0/);
  });

  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const built = existsSync(join(root, 'dist/serve/cli/serve-command.js'));
  it.skipIf(!built)(
    'starts without a model, says how to get one, answers /health and exits 0 on SIGTERM (skipped when dist/ is not built: run npm run build)',
    async () => {
      const child = spawn(
        process.execPath,
        [join(root, 'bin/docsight.js'), '--home', tempDir(), 'serve', '--port', '0'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, DOCSIGHT_MODEL_PATH: '', DOCSIGHT_MMPROJ_PATH: '', DOCSIGHT_BACKEND: '' },
        },
      );
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk) => {
          stderr += String(chunk);
          const found = /listening on (http:\/\/\S+)/.exec(stderr);
          if (found && /not available/.test(stderr)) resolve(found[1]!);
        });
        child.once('exit', () => reject(new Error(`serve exited early:\n${stderr}`)));
      });
      expect(stderr).toMatch(/docsight models pull/);
      expect(stderr).toContain('"understand"');
      const health = await fetch(`${url}/health`);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = (await (await fetch(`${url}/ready`)).json()) as {
        ready: boolean;
        model: { ready: boolean };
      };
      expect(ready).toMatchObject({ ready: true, model: { ready: false } });
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(0);
    },
  );
});
