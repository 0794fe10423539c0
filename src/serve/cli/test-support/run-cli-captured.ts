import { vi } from 'vitest';
import { runCli } from '../main.js';

/**
 * Runs the CLI in-process, as `docsight <args>` would, and returns its exit code and what it printed.
 * `env` variables are set for the run only.
 */
export async function runCliCaptured(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    if (Object.keys(env).length > 0) vi.unstubAllEnvs();
  }
}
