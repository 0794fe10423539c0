import { afterAll } from 'vitest';
import { loadConfig, type ConfigOverrides } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { createDocSight, type DocSight } from '../docsight.js';

/**
 * An application on a fresh home folder (real SQLite, real blobs), configured from defaults and `flags`
 * only — never the environment of the machine running the tests — and closed when the file's tests end.
 *
 * @example
 *   const newApp = useAppsInTempHomes('docsight-app-docs-');
 *   const app = newApp();
 */
export function useAppsInTempHomes(
  prefix: string,
): (flags?: Omit<ConfigOverrides, 'home'>, env?: NodeJS.ProcessEnv) => DocSight {
  const tempDir = useTempDirs(prefix);
  const apps: DocSight[] = [];
  afterAll(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  return (flags = {}, env = {}) => {
    const app = createDocSight(loadConfig({ env, flags: { ...flags, home: tempDir() } }), {
      ocrThread: 'main',
    });
    apps.push(app);
    return app;
  };
}
