/**
 * Firmware footprint of the netbridge module alone: the same application (bench/footprint-app, the
 * companion app's configuration) built with CONFIG_NETBRIDGE=n and =y, per target and feature set.
 * Build directories are build/<target>-bench-<variant>, reused between runs (ninja is incremental).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildFirmware, type BuildResult } from '../../hil/lib/build.js';
import { repoRoot } from '../../hil/lib/workspace.js';

const appDir = path.join(repoRoot, 'bench', 'footprint-app');
const variantsDir = path.join(appDir, 'variants');
const tlsOverlay = path.join(repoRoot, 'firmware', 'app', 'overlay-tls.conf');

export type FeatureSet = 'events' | 'sockets' | 'sockets+tls';

interface Variant {
  name: string;
  overlays: string[];
}

const variants: Record<string, Variant> = {
  none: { name: 'none', overlays: [path.join(variantsDir, 'none.conf')] },
  events: { name: 'events', overlays: [path.join(variantsDir, 'events.conf')] },
  sockets: { name: 'sockets', overlays: [path.join(variantsDir, 'sockets.conf')] },
  'none+tls': { name: 'none-tls', overlays: [path.join(variantsDir, 'none.conf'), tlsOverlay] },
  'sockets+tls': { name: 'sockets-tls', overlays: [path.join(variantsDir, 'sockets.conf'), tlsOverlay] },
};

/** Which module builds compare with which baseline. */
const comparisons: { features: FeatureSet; with: string; without: string }[] = [
  { features: 'events', with: 'events', without: 'none' },
  { features: 'sockets', with: 'sockets', without: 'none' },
  { features: 'sockets+tls', with: 'sockets+tls', without: 'none+tls' },
];

/** TLS needs RAM that qemu_cortex_m3 (64 KB) does not have. */
export const footprintPlan: Record<string, FeatureSet[]> = {
  'mps2/an385': ['events', 'sockets', 'sockets+tls'],
  qemu_cortex_m3: ['events', 'sockets'],
  native_sim: ['events', 'sockets'],
};

export interface Sizes {
  flash: number;
  ram: number;
  /** Where the figures come from: the linker's memory table, or `size` of a host executable. */
  source: 'linker' | 'size';
}

export interface FootprintRow {
  target: string;
  features: FeatureSet;
  /** The application with the module, and without; null when that build failed. */
  with: Sizes | null;
  without: Sizes | null;
  error: string | null;
}

/** text+data (what a flash image would hold) and data+bss of a host executable. */
function sizeOfExecutable(file: string): Sizes {
  const out = execFileSync('size', ['--format=berkeley', file], { encoding: 'utf8' });
  const line = out.trim().split('\n')[1] ?? '';
  const [text, data, bss] = line.trim().split(/\s+/).map(Number);
  if (text === undefined || data === undefined || bss === undefined || [text, data, bss].some(Number.isNaN)) {
    throw new Error(`cannot parse size output for ${file}: ${out}`);
  }
  return { flash: text + data, ram: data + bss, source: 'size' };
}

function sizesOf(build: BuildResult): Sizes {
  const f = build.footprint;
  if (f.flashUsed !== null && f.ramUsed !== null) return { flash: f.flashUsed, ram: f.ramUsed, source: 'linker' };
  if (build.exe && existsSync(build.exe)) return sizeOfExecutable(build.exe);
  throw new Error(`${build.buildDir}: no memory table and no executable`);
}

export async function measureFootprints(
  targets: string[],
  log: (line: string) => void,
): Promise<FootprintRow[]> {
  const built = new Map<string, Sizes | Error>();
  const build = async (target: string, key: string): Promise<Sizes | Error> => {
    const id = `${target}:${key}`;
    const cached = built.get(id);
    if (cached) return cached;
    const v = variants[key];
    if (!v) throw new Error(`unknown footprint variant ${key}`);
    let result: Sizes | Error;
    try {
      const b = await buildFirmware(target, { sourceDir: appDir, overlays: v.overlays, variant: `bench-${v.name}`, log });
      result = sizesOf(b);
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
      log(`[footprint] ${target} ${key}: ${result.message.split('\n')[0]}`);
    }
    built.set(id, result);
    return result;
  };
  const rows: FootprintRow[] = [];
  for (const target of targets) {
    for (const features of footprintPlan[target] ?? []) {
      const c = comparisons.find((x) => x.features === features);
      if (!c) continue;
      const w = await build(target, c.with);
      const wo = await build(target, c.without);
      const errors = [w, wo].filter((x): x is Error => x instanceof Error).map((e) => firstLine(e.message));
      rows.push({
        target,
        features,
        with: w instanceof Error ? null : w,
        without: wo instanceof Error ? null : wo,
        error: errors.length ? errors.join('; ') : null,
      });
    }
  }
  return rows;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).slice(0, 160);
}
