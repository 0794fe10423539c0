#!/usr/bin/env node
// Builds DocSight's native vision-language engine (native/) at `npm install` time:
//   1. fetches the llama.cpp source vendored in the npm package llama.rn (MIT) from the npm registry
//      (pinned version and sha512; never GitHub), unpacks it under native/build/,
//   2. compiles llama.cpp + mtmd + our addon and driver with CMake, for this CPU's SIMD level.
// Why a source build: the prebuilt llama.cpp bindings on npm ship x86 code without AVX2/FMA, 5-12×
// slower here (FACTS.md). Building on the machine that runs it makes -march=native safe.
//
// Environment:
//   DOCSIGHT_SKIP_NATIVE=1   skip (the vision-language engine will then report ENGINE_FAILED)
//   DOCSIGHT_MARCH=<arch>    -march value; default "native". x86-64-v3 (AVX2) or x86-64-v2 build a
//                            binary that can be copied to other machines of that level.
//   DOCSIGHT_BUILD_JOBS=<n>  parallel compile jobs (default: CPU count)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LLAMA_RN_VERSION = '0.12.9'; // llama.cpp build 10256, the tree @fugood/llama.node 1.7.15 is built from
const LLAMA_RN_INTEGRITY =
  'sha512-uRsTVARp1KnDkDg00FvOGIrN6SZfMqYVJfCOdxN9FSyGufLC+Aad6oFWZVEO8vmtNqu+JBlsCGevP4sJGifAvg==';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const buildDir = join(nativeDir, 'build');
const say = (msg) => process.stdout.write(`[docsight native] ${msg}\n`);

function fail(what, fix) {
  process.stderr.write(`\n[docsight native] ERROR: ${what}\n[docsight native] ${fix}\n`);
  process.stderr.write(
    '[docsight native] (set DOCSIGHT_SKIP_NATIVE=1 to install without the vision-language engine)\n\n',
  );
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`, 'Is it installed and on PATH?');
  return r.status ?? 1;
}

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

function nodeApiInclude() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
    join(process.env.HOME ?? '', '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

/** The SIMD-related CPU flags of this machine (from /proc/cpuinfo). */
function simdFlags() {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return [];
  }
  const line = text.split('\n').find((l) => l.startsWith('flags')) ?? '';
  return line
    .split(':')[1]
    .trim()
    .split(/\s+/)
    .filter((f) => /^(sse|ssse|avx|fma|f16c|bmi|amx)/.test(f))
    .sort();
}

/** Hash of everything that decides the build's output: sources, flags, the vendored version. */
function buildStamp(march) {
  const h = createHash('sha256');
  h.update(`${LLAMA_RN_VERSION} ${march} ${process.versions.node}\n`);
  const files = [
    join(nativeDir, 'CMakeLists.txt'),
    ...readdirSync(join(nativeDir, 'src')).map((f) => join(nativeDir, 'src', f)),
  ];
  for (const f of files.sort()) h.update(f).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

function fetchLlamaSource() {
  const dest = join(buildDir, `llama.rn-${LLAMA_RN_VERSION}`);
  if (existsSync(join(dest, 'cpp', 'llama.h'))) return join(dest, 'cpp');
  say(
    `fetching the llama.cpp source tree: npm package llama.rn@${LLAMA_RN_VERSION} (MIT, ~5 MB) from the npm registry`,
  );
  const tmp = join(buildDir, 'download');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const status = run(
    npm[0],
    [...npm[1], 'pack', `llama.rn@${LLAMA_RN_VERSION}`, '--silent', '--pack-destination', tmp],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const tgz = join(tmp, `llama.rn-${LLAMA_RN_VERSION}.tgz`);
  if (status !== 0 || !existsSync(tgz)) {
    fail(
      `could not fetch llama.rn@${LLAMA_RN_VERSION} from the npm registry`,
      'Check network access to the registry (npm config get registry).',
    );
  }
  const integrity = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
  if (integrity !== LLAMA_RN_INTEGRITY) {
    fail(
      `llama.rn-${LLAMA_RN_VERSION}.tgz has integrity ${integrity}, expected ${LLAMA_RN_INTEGRITY}`,
      'The download is corrupt or was tampered with; remove native/build and retry.',
    );
  }
  mkdirSync(dest, { recursive: true });
  // Only cpp/ is needed: skip the React Native, Android and iOS parts of the package.
  if (run('tar', ['-xzf', tgz, '-C', dest, '--strip-components=1', 'package/cpp']) !== 0) {
    fail(`could not unpack ${tgz}`, 'Is `tar` (with gzip) installed?');
  }
  rmSync(tmp, { recursive: true, force: true });
  return join(dest, 'cpp');
}

function main() {
  if (process.env.DOCSIGHT_SKIP_NATIVE === '1') {
    say('DOCSIGHT_SKIP_NATIVE=1: not building the vision-language engine');
    return;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `the native engine is built for Linux x64 only (this is ${process.platform} ${process.arch})`,
      'Run DocSight on Linux x64, or set DOCSIGHT_SKIP_NATIVE=1.',
    );
  }
  const missing = ['cmake', 'g++'].filter((t) => !has(t));
  if (missing.length > 0) {
    fail(
      `${missing.join(' and ')} not found; they are needed to compile llama.cpp for this CPU`,
      'Install them: sudo apt-get install cmake g++ (Debian/Ubuntu) or sudo dnf install cmake gcc-c++ (Fedora).',
    );
  }
  const napiInclude = nodeApiInclude();
  if (!napiInclude) {
    fail(
      'Node.js headers (node_api.h) not found',
      'Install them: sudo apt-get install libnode-dev (Debian/Ubuntu), or use a Node.js from nodejs.org, which ships include/node.',
    );
  }
  let addonApi;
  try {
    addonApi = dirname(fileURLToPath(import.meta.resolve('node-addon-api/package.json')));
  } catch {
    fail('the node-addon-api package is missing', 'Run npm install again (it is a dependency of docsight).');
  }
  const march = process.env.DOCSIGHT_MARCH || 'native';
  mkdirSync(buildDir, { recursive: true });
  const stamp = buildStamp(march);
  const stampFile = join(buildDir, 'stamp');
  const products = ['docsight_vlm.node', 'docsight-vlm-driver'].map((f) => join(buildDir, f));
  if (products.every(existsSync) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    say('native engine is up to date');
    return;
  }
  const cpp = fetchLlamaSource();
  const cmakeDir = join(buildDir, 'cmake');
  const generator = has('ninja') ? ['-G', 'Ninja'] : [];
  const jobs = process.env.DOCSIGHT_BUILD_JOBS || String(availableParallelism());
  say(`configuring (CMake, -march=${march}, ${generator.length ? 'Ninja' : 'Make'})`);
  const cfg = run('cmake', [
    ...generator,
    '-S',
    nativeDir,
    '-B',
    cmakeDir,
    '-DCMAKE_BUILD_TYPE=Release',
    `-DLLAMA_RN_CPP=${cpp}`,
    `-DNODE_API_INCLUDE=${napiInclude}`,
    `-DNODE_ADDON_API_INCLUDE=${addonApi}`,
    `-DDOCSIGHT_MARCH=${march}`,
  ]);
  if (cfg !== 0)
    fail(
      'CMake configuration failed (see above)',
      'Check that cmake >= 3.18 and a C++17 compiler are installed.',
    );
  say(
    `compiling llama.cpp + mtmd + the addon with ${jobs} jobs (about 4-6 minutes on 2 cores; progress below)`,
  );
  const t0 = Date.now();
  if (run('cmake', ['--build', cmakeDir, '--parallel', jobs]) !== 0) {
    fail(
      'compilation failed (see the compiler output above)',
      'Check that g++ >= 9 is installed; report the first error.',
    );
  }
  // Copy beside, then rename: a running engine or benchmark keeps the file it mapped (overwriting a loaded
  // .node in place can crash it, and a running driver refuses the write with ETXTBSY).
  for (const p of products) {
    copyFileSync(join(cmakeDir, p.slice(buildDir.length + 1)), `${p}.new`);
    renameSync(`${p}.new`, p);
  }
  writeFileSync(stampFile, stamp);
  // With -march=native the binary uses every SIMD extension of this CPU; the engine compares this list
  // with the CPU it runs on and asks for a rebuild instead of dying of SIGILL on an older one.
  writeFileSync(join(buildDir, 'cpu-flags.txt'), march === 'native' ? simdFlags().join(' ') + '\n' : '');
  const mb = (statSync(products[0]).size / 1e6).toFixed(1);
  say(
    `built native/build/docsight_vlm.node (${mb} MB) and native/build/docsight-vlm-driver in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
}

main();
