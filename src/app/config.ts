import { describeConfig, type Config } from '../config/config.js';
import type { DocSight } from './docsight.js';

/** One setting as printed: its dotted name and value (secrets masked). */
export interface ConfigSetting {
  name: string;
  value: string | number | boolean | null | (string | number)[];
}

/**
 * The effective configuration — defaults, config file, environment and flags merged and validated — as
 * `describeConfig` prints it at start-up, secrets masked. An object, for `docsight config --json` and a
 * server's settings endpoint.
 *
 * @example
 *   effectiveConfig(app).understand.apiKey; // '******** (set)', never the key
 */
export function effectiveConfig(app: DocSight): Config {
  // Parsed back from describeConfig's text so every printer masks exactly as the start-up print does.
  return JSON.parse(describeConfig(app.config)) as Config;
}

/**
 * The effective configuration as one setting per line's worth: `ocr.threads` = 1, …, in the schema's
 * order; settings left unset (optional, no default) are not listed.
 *
 * @example
 *   configSettings(app).map((s) => `${s.name} = ${JSON.stringify(s.value)}`).join('\n');
 */
export function configSettings(app: DocSight): ConfigSetting[] {
  const out: ConfigSetting[] = [];
  const walk = (value: unknown, name: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, name ? `${name}.${key}` : key);
    } else {
      out.push({ name, value: value as ConfigSetting['value'] });
    }
  };
  walk(effectiveConfig(app), '');
  return out;
}
