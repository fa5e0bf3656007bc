/**
 * The firmware tier: builds each ztest suite under firmware/tests/ for native_sim and runs it.
 * The suites consume proto/vectors/ (the same golden vectors as the host tests). Writes
 * hil/.work/ztest-report.json ({passed, failed}) and exits non-zero when any suite fails.
 *
 *   npm run ztest [-- protocol netmgmt sockets]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildFirmware } from './lib/build.js';
import { repoRoot } from './lib/workspace.js';

const testsDir = path.join(repoRoot, 'firmware', 'tests');
const wanted = process.argv.slice(2);
const suites = readdirSync(testsDir).filter((d) => wanted.length === 0 || wanted.includes(d)).sort();

interface Outcome {
  suite: string;
  passed: number;
  failed: number;
  ok: boolean;
  seconds: number;
}

/** Runs zephyr.exe to its end (ztest exits by itself on native_sim), bounded in time. */
function runExe(exe: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(exe, [], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer) => {
      output = (output + c.toString('utf8')).slice(-512 * 1024);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** ztest prints one " PASS - name" / " FAIL - name" line per test case. */
function countCases(output: string): { passed: number; failed: number } {
  const passed = (output.match(/^\s*PASS - /gm) ?? []).length;
  const failed = (output.match(/^\s*FAIL - /gm) ?? []).length;
  return { passed, failed };
}

const outcomes: Outcome[] = [];
for (const suite of suites) {
  const started = Date.now();
  const build = await buildFirmware('native_sim', {
    sourceDir: path.join(testsDir, suite),
    variant: `ztest-${suite}`,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (!build.exe) throw new Error(`[ztest ${suite}] the build produced no zephyr.exe`);
  const { code, output } = await runExe(build.exe, 120_000);
  const counts = countCases(output);
  const ok = code === 0 && /PROJECT EXECUTION SUCCESSFUL/.test(output) && counts.failed === 0 && counts.passed > 0;
  if (!ok) process.stdout.write(output.slice(-6000));
  const outcome = { suite, ...counts, failed: ok ? counts.failed : Math.max(1, counts.failed), ok, seconds: (Date.now() - started) / 1000 };
  outcomes.push(outcome);
  console.log(`[ztest ${suite}] ${ok ? 'ok' : 'FAILED'}: ${outcome.passed} passed, ${outcome.failed} failed (${outcome.seconds.toFixed(0)} s)`);
}

const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
mkdirSync(path.join(repoRoot, 'hil', '.work'), { recursive: true });
writeFileSync(path.join(repoRoot, 'hil', '.work', 'ztest-report.json'), `${JSON.stringify({ passed, failed, suites: outcomes }, null, 2)}\n`);
console.log(`firmware tier: ${passed} passed, ${failed} failed`);
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
