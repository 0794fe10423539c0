import { describe, expect, it } from 'vitest';
import { configSettings, effectiveConfig } from './config.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

const newApp = useAppsInTempHomes('docsight-app-config-');

describe('effective configuration', () => {
  it('merges flags and environment over the defaults and masks the upstream key', () => {
    const app = newApp(
      { ocr: { threads: 2 } },
      { DOCSIGHT_UPSTREAM: 'http://gpu1:8080', DOCSIGHT_UPSTREAM_API_KEY: 'sk-secret-123' },
    );
    const config = effectiveConfig(app);
    expect(config.ocr.threads).toBe(2);
    expect(config.understand.upstreams).toEqual(['http://gpu1:8080']);
    expect(config.understand.apiKey).toBe('******** (set)');
    expect(JSON.stringify(config)).not.toContain('sk-secret-123');
  });

  it('lists every set value as a dotted setting, in the schema order', () => {
    const app = newApp();
    const settings = configSettings(app);
    expect(settings[0]).toEqual({ name: 'home', value: app.config.home });
    expect(settings).toContainEqual({ name: 'intake.maxFileBytes', value: 512 * 1024 * 1024 });
    expect(settings).toContainEqual({ name: 'understand.upstreams', value: [] });
    expect(settings.find((s) => s.name === 'understand.apiKey')).toBeUndefined(); // not set
  });
});
