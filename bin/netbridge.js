#!/usr/bin/env node
// The netbridge CLI. Runs the compiled dist/cli/main.js when it is at least as new as every file
// under src/; otherwise (a fresh clone, or sources edited since the build) registers tsx, a dev
// dependency, and runs src/cli/main.ts directly. NETBRIDGE_CLI_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'cli', 'main.js');
const source = path.join(root, 'src', 'cli', 'main.ts');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function useBuilt() {
  if (!existsSync(built)) return false;
  if (!existsSync(source) || process.env.NETBRIDGE_CLI_SOURCE === '0') return true; // installed package: no sources
  if (process.env.NETBRIDGE_CLI_SOURCE === '1') return false;
  return statSync(built).mtimeMs >= newestMtime(path.join(root, 'src'));
}

let entry = built;
if (!useBuilt()) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    process.env.NETBRIDGE_TSX = '1';
  } catch {
    process.stderr.write('netbridge: not built and tsx is missing: run `npm install` (or `npm run build`)\n');
    process.exit(1);
  }
  entry = source;
}
const { main } = await import(pathToFileURL(entry).href);
await main();
