import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DocSightError } from '../errors.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { defaultOcrWorkers, describeConfig, loadConfig } from './config.js';

const tempHome = useTempDirs('docsight-config-');

describe('loadConfig', () => {
  it('fills sensible defaults under DOCSIGHT_HOME', () => {
    const home = tempHome();
    const config = loadConfig({ env: { DOCSIGHT_HOME: home } });
    expect(config.home).toBe(home);
    expect(config.ocr.threads).toBe(1);
    expect(config.intake.maxPixels).toBe(100_000_000);
  });

  it('runs one OCR worker per core (memory permitting) and ingests one document per core by default', () => {
    const home = tempHome();
    const config = loadConfig({ env: { DOCSIGHT_HOME: home } });
    // The machine's memory, or its container's limit where lower.
    const memory = Math.min(totalmem(), process.constrainedMemory?.() || Number.POSITIVE_INFINITY);
    expect(config.ocr.workers).toBe(defaultOcrWorkers(availableParallelism(), memory));
    expect(config.library.concurrency).toBe(availableParallelism());
    const fewer = loadConfig({ env: { DOCSIGHT_HOME: home, DOCSIGHT_OCR_WORKERS: '1' } });
    expect(fewer.ocr).toMatchObject({ workers: 1, threads: 1 });
    expect(() => loadConfig({ env: { DOCSIGHT_HOME: home, DOCSIGHT_OCR_WORKERS: '0' } })).toThrow(
      /ocr\.workers: .*>=\s*1/,
    );
  });

  it('runs no more OCR workers than fit in half the memory, and at least one', () => {
    const GB = 1024 ** 3;
    expect(defaultOcrWorkers(2, 24 * GB)).toBe(2);
    expect(defaultOcrWorkers(16, 4 * GB)).toBe(2);
    expect(defaultOcrWorkers(8, 1 * GB)).toBe(1);
  });

  it('uses ~/.docsight when DOCSIGHT_HOME is not set, and reads its config.json', () => {
    const user = tempHome();
    vi.stubEnv('HOME', user); // os.homedir() reads HOME on POSIX
    try {
      expect(loadConfig({ env: {} }).home).toBe(join(user, '.docsight'));
      mkdirSync(join(user, '.docsight'));
      writeFileSync(join(user, '.docsight', 'config.json'), JSON.stringify({ ocr: { threads: 2 } }));
      expect(loadConfig({ env: {} }).ocr.threads).toBe(2);
    } finally {
      vi.unstubAllEnvs();
    }
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

describe('loadConfig: the understand section', () => {
  it('defaults to one local llama slot with a bounded queue and a request timeout', () => {
    const config = loadConfig({ env: { DOCSIGHT_HOME: tempHome() } });
    expect(config.understand).toEqual({
      backend: 'llama',
      contextSize: 8192,
      slots: 1,
      upstreams: [],
      upstreamModel: 'qwen3-vl-2b-instruct',
      maxQueue: 16,
      requestTimeoutMs: 300_000,
      imageStateCacheBytes: 2 * 1024 ** 3,
    });
  });

  it('takes the common settings from the environment, several upstreams comma-separated', () => {
    const config = loadConfig({
      env: {
        DOCSIGHT_HOME: tempHome(),
        DOCSIGHT_BACKEND: 'openai',
        DOCSIGHT_UPSTREAM: 'http://gpu1:8080, http://gpu2:8080/v1',
        DOCSIGHT_UPSTREAM_MODEL: 'qwen3-vl',
        DOCSIGHT_UPSTREAM_API_KEY: 'sk-secret-123',
        DOCSIGHT_SLOTS: '4',
        DOCSIGHT_MAX_QUEUE: '32',
        DOCSIGHT_REQUEST_TIMEOUT_MS: '60000',
      },
    });
    expect(config.understand).toMatchObject({
      backend: 'openai',
      upstreams: ['http://gpu1:8080', 'http://gpu2:8080/v1'],
      upstreamModel: 'qwen3-vl',
      apiKey: 'sk-secret-123',
      slots: 4,
      maxQueue: 32,
      requestTimeoutMs: 60_000,
    });
  });

  it("merges the section key by key: a flag changes one setting and keeps the file's others", () => {
    const home = tempHome();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ understand: { slots: 2, contextSize: 4096 } }));
    const config = loadConfig({ env: { DOCSIGHT_HOME: home }, flags: { understand: { threads: 3 } } });
    expect(config.understand).toMatchObject({ slots: 2, contextSize: 4096, threads: 3 });
  });

  it('explains bad values: a missing upstream, a bad URL, half a model pair, an unknown backend', () => {
    const env = { DOCSIGHT_HOME: tempHome() };
    expect(() => loadConfig({ env: { ...env, DOCSIGHT_BACKEND: 'openai' } })).toThrow(
      /understand\.upstreams: the openai backend needs at least one upstream URL \(--upstream URL/,
    );
    expect(() => loadConfig({ env, flags: { understand: { upstreams: ['gpu1:8080'] } } })).toThrow(
      /understand\.upstreams\.0: must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(() => loadConfig({ env, flags: { understand: { modelPath: '/m.gguf' } } })).toThrow(
      /understand\.mmprojPath: give both modelPath .* or neither/,
    );
    expect(() => loadConfig({ env: { ...env, DOCSIGHT_BACKEND: 'gpu' } })).toThrow(
      /understand\.backend: .*"llama".*"openai"/,
    );
    expect(() => loadConfig({ env: { ...env, DOCSIGHT_SLOTS: 'two' } })).toThrow(
      /DOCSIGHT_SLOTS=two is not a number/,
    );
    expect(() => loadConfig({ env: { ...env, DOCSIGHT_SLOTS: '0' } })).toThrow(/understand\.slots: .*>=\s*1/);
  });
});

describe('loadConfig: the server section', () => {
  it('limits requests by default and fetches no remote images', () => {
    const { server } = loadConfig({ env: { DOCSIGHT_HOME: tempHome() } });
    expect(server).toMatchObject({
      maxMessagesPerRequest: 200,
      rateLimitPerMinute: 600,
      requestTimeoutMs: 600_000,
      remoteImages: { allow: [], maxBytes: 20 * 1024 * 1024, timeoutMs: 10_000 },
    });
  });

  it("takes the limits and the remote image hosts from the environment, keeping the file's other image settings", () => {
    const home = tempHome();
    writeFileSync(
      join(home, 'config.json'),
      JSON.stringify({ server: { remoteImages: { allow: ['old.example.com'], maxBytes: 4096 } } }),
    );
    const { server } = loadConfig({
      env: {
        DOCSIGHT_HOME: home,
        DOCSIGHT_RATE_LIMIT_PER_MINUTE: '0',
        DOCSIGHT_HTTP_TIMEOUT_MS: '30000',
        DOCSIGHT_REMOTE_IMAGE_HOSTS: 'images.example.com, *.cdn.example.org',
      },
    });
    expect(server.rateLimitPerMinute).toBe(0);
    expect(server.requestTimeoutMs).toBe(30_000);
    expect(server.remoteImages).toEqual({
      allow: ['images.example.com', '*.cdn.example.org'],
      maxBytes: 4096,
      timeoutMs: 10_000,
    });
  });
});

describe('describeConfig', () => {
  it('prints the configuration without the upstream API key', () => {
    const config = loadConfig({
      env: { DOCSIGHT_HOME: tempHome(), DOCSIGHT_UPSTREAM_API_KEY: 'sk-secret-123' },
    });
    const printed = describeConfig(config);
    expect(printed).not.toContain('sk-secret-123');
    expect(JSON.parse(printed).understand.apiKey).toBe('******** (set)');
    expect(config.understand.apiKey).toBe('sk-secret-123'); // the engine still gets the real key
  });
});
