/**
 * Builds the companion app for one target with cmake + ninja into build/<slug>[-variant], reusing a
 * configured directory (ninja re-runs cmake itself when inputs change), and records the footprint
 * the linker printed.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pythonArgs, repoRoot, requireZephyr, targetSpec, toolchainFor, type TargetSpec } from './workspace.js';

export class BuildError extends Error {
  readonly code = 'NB_HIL_BUILD_FAILED';
  constructor(
    message: string,
    readonly logPath: string,
  ) {
    super(message);
  }
}

export interface MemoryRegion {
  name: string;
  used: number;
  size: number;
}

export interface Footprint {
  /** FLASH (or ROM) used/total in bytes; null when the linker printed no such region (native_sim). */
  flashUsed: number | null;
  flashTotal: number | null;
  ramUsed: number | null;
  ramTotal: number | null;
  regions: MemoryRegion[];
}

export interface BuildResult {
  target: TargetSpec;
  buildDir: string;
  /** zephyr.elf (QEMU) */
  elf: string;
  /** zephyr.exe (native_sim), else null */
  exe: string | null;
  dotConfig: string;
  footprint: Footprint;
  seconds: number;
}

export interface BuildOptions {
  /** Extra Kconfig fragments (*.conf) and devicetree overlays (*.overlay). */
  overlays?: string[];
  /** Suffix for the build directory; defaults to the overlays' base names. */
  variant?: string;
  /** Application source; defaults to firmware/app. */
  sourceDir?: string;
  /** Progress lines; defaults to stderr. */
  log?: (line: string) => void;
}

const unitBytes: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** Parses GNU ld's --print-memory-usage table ("FLASH:  16784 B  4 MB  0.40%"). */
export function parseMemoryTable(output: string): MemoryRegion[] {
  const regions: MemoryRegion[] = [];
  const re = /^\s*(\w+):\s+(\d+)\s*(B|KB|MB|GB)\s+(\d+)\s*(B|KB|MB|GB)\s+[\d.]+%\s*$/gm;
  for (const m of output.matchAll(re)) {
    const [, name, used, usedUnit, size, sizeUnit] = m;
    if (!name || !used || !usedUnit || !size || !sizeUnit) continue;
    regions.push({
      name,
      used: Number(used) * (unitBytes[usedUnit] ?? 1),
      size: Number(size) * (unitBytes[sizeUnit] ?? 1),
    });
  }
  return regions;
}

export function footprintFrom(regions: MemoryRegion[]): Footprint {
  const find = (names: string[]) => regions.find((r) => names.includes(r.name.toUpperCase()));
  const flash = find(['FLASH', 'ROM']);
  const ram = find(['RAM', 'SRAM']);
  return {
    flashUsed: flash?.used ?? null,
    flashTotal: flash?.size ?? null,
    ramUsed: ram?.used ?? null,
    ramTotal: ram?.size ?? null,
    regions,
  };
}

export function buildDirFor(target: TargetSpec, variant?: string): string {
  return path.join(repoRoot, 'build', variant ? `${target.slug}-${variant}` : target.slug);
}

/** Runs a command, teeing its output to a log and to a line callback; resolves with its output. */
function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  onLine: (line: string) => void,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const logStream = createWriteStream(logFile, { flags: 'a' });
    logStream.write(`$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Keep only the tail in memory: the memory table and errors are at the end.
    const tailLimit = 256 * 1024;
    let tail = '';
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      logStream.write(text);
      tail = (tail + text).slice(-tailLimit);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      logStream.end();
      reject(err);
    });
    child.on('close', (code) => {
      if (partial) onLine(partial);
      logStream.end(() => resolve({ code: code ?? 1, output: tail }));
    });
  });
}

/** Condenses build output: ninja progress every 10 %, warnings and errors verbatim. */
function progressFilter(prefix: string, log: (line: string) => void): (line: string) => void {
  let lastDecile = -1;
  return (line) => {
    const step = /^\[(\d+)\/(\d+)\]/.exec(line);
    if (step) {
      const decile = Math.floor((10 * Number(step[1])) / Number(step[2]));
      if (decile !== lastDecile) {
        lastDecile = decile;
        log(`${prefix} ${step[0]} ${line.slice(step[0].length).trim().slice(0, 100)}`);
      }
    } else if (/(error|warning):|^CMake Error|^FAILED|Memory region|^\s+(FLASH|RAM|ROM|SRAM):/i.test(line)) {
      log(`${prefix} ${line}`);
    }
  };
}

export async function buildFirmware(targetName: string, options: BuildOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const target = targetSpec(targetName);
  const ws = requireZephyr();
  const toolchain = toolchainFor(target.arch);
  const overlays = (options.overlays ?? []).map((o) => path.resolve(o));
  const variant =
    options.variant ?? (overlays.length ? overlays.map((o) => path.basename(o).replace(/\.\w+$/, '')).join('+') : undefined);
  const buildDir = buildDirFor(target, variant);
  const sourceDir = path.resolve(options.sourceDir ?? path.join(repoRoot, 'firmware', 'app'));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const prefix = `[build ${target.name}${variant ? `-${variant}` : ''}]`;
  if (!existsSync(path.join(sourceDir, 'CMakeLists.txt'))) {
    throw new BuildError(`no CMakeLists.txt in ${sourceDir}`, '');
  }
  mkdirSync(buildDir, { recursive: true });
  const logFile = path.join(buildDir, 'build.log');
  const env = { ...process.env, ...toolchain.env, ZEPHYR_BASE: ws.base };
  const onLine = progressFilter(prefix, log);

  const cache = path.join(buildDir, 'CMakeCache.txt');
  let configured = existsSync(cache) && existsSync(path.join(buildDir, 'build.ninja'));
  if (configured && !readFileSync(cache, 'utf8').includes(`CMAKE_HOME_DIRECTORY:INTERNAL=${sourceDir}\n`)) {
    // Configured for another application: cmake refuses to switch sources in place.
    log(`${prefix} ${path.relative(repoRoot, buildDir)} was configured for another source; starting afresh`);
    rmSync(buildDir, { recursive: true, force: true });
    mkdirSync(buildDir, { recursive: true });
    configured = false;
  }
  writeFileSync(logFile, '');
  if (!configured) {
    log(`${prefix} configuring (${toolchain.name} toolchain, Zephyr ${ws.version})`);
    const conf = overlays.filter((o) => o.endsWith('.conf'));
    const dts = overlays.filter((o) => !o.endsWith('.conf'));
    const args = [
      '-GNinja',
      '-S', sourceDir,
      '-B', buildDir,
      `-DBOARD=${target.board}`,
      ...pythonArgs(),
      `-DZEPHYR_MODULES=${ws.modules.join(';')}`,
      ...(conf.length ? [`-DEXTRA_CONF_FILE=${conf.join(';')}`] : []),
      ...(dts.length ? [`-DEXTRA_DTC_OVERLAY_FILE=${dts.join(';')}`] : []),
      ...toolchain.cmakeArgs,
    ];
    const res = await run('cmake', args, env, logFile, onLine);
    if (res.code !== 0) {
      // A half-configured directory would be "reused" next time: remove its cache.
      rmSync(cache, { force: true });
      throw new BuildError(`${prefix} cmake failed (log: ${logFile}):\n${lastLines(res.output, 40)}`, logFile);
    }
  } else {
    log(`${prefix} reusing ${path.relative(repoRoot, buildDir)}`);
  }

  const footprintPath = path.join(buildDir, 'footprint.json');
  const elf = path.join(buildDir, 'zephyr', 'zephyr.elf');
  // The linker prints its memory table only when it links; without a saved footprint, relink.
  if (!existsSync(footprintPath)) rmSync(elf, { force: true });
  const res = await run('ninja', ['-C', buildDir], env, logFile, onLine);
  if (res.code !== 0) {
    throw new BuildError(`${prefix} ninja failed (log: ${logFile}):\n${lastLines(res.output, 40)}`, logFile);
  }
  let footprint: Footprint;
  const regions = parseMemoryTable(res.output);
  if (regions.length > 0 || !existsSync(footprintPath)) {
    footprint = footprintFrom(regions);
    writeFileSync(footprintPath, `${JSON.stringify(footprint, null, 2)}\n`);
  } else {
    footprint = JSON.parse(readFileSync(footprintPath, 'utf8')) as Footprint;
  }
  const exePath = path.join(buildDir, 'zephyr', 'zephyr.exe');
  const seconds = (Date.now() - started) / 1000;
  log(`${prefix} done in ${seconds.toFixed(1)} s: ${formatFootprint(footprint)}`);
  return {
    target,
    buildDir,
    elf,
    exe: existsSync(exePath) ? exePath : null,
    dotConfig: path.join(buildDir, 'zephyr', '.config'),
    footprint,
    seconds,
  };
}

export function formatFootprint(f: Footprint): string {
  const kb = (n: number | null) => (n === null ? '?' : `${(n / 1024).toFixed(1)} KiB`);
  if (f.flashUsed === null && f.ramUsed === null) return 'no memory table (host executable)';
  return `flash ${kb(f.flashUsed)} / ${kb(f.flashTotal)}, RAM ${kb(f.ramUsed)} / ${kb(f.ramTotal)}`;
}

/** Kconfig symbols from a build's zephyr/.config ("CONFIG_X=y" -> {CONFIG_X: 'y'}, strings unquoted). */
export function readDotConfig(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (!m || !m[1] || m[2] === undefined) continue;
    const value = m[2];
    out[m[1]] = value.startsWith('"') && value.endsWith('"') ? JSON.parse(value) as string : value;
  }
  return out;
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}
