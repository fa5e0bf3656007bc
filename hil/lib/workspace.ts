/**
 * Where Zephyr, its modules and a toolchain are on this machine, and how each HIL target builds.
 * Nothing is downloaded: a missing workspace is reported, never fetched.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export class WorkspaceError extends Error {
  readonly code = 'NB_HIL_NO_WORKSPACE';
}

export interface ZephyrWorkspace {
  /** ZEPHYR_BASE: the zephyr/ tree. */
  base: string;
  /** "4.1.99", from the VERSION file (what the firmware reports in HELLO). */
  version: string;
  /** Module roots passed as ZEPHYR_MODULES. */
  modules: string[];
}

/** Module directories netbridge builds with, relative to the workspace's modules/. */
const knownModules = ['hal/cmsis_6', 'lib/zcbor', 'crypto/mbedtls'];

export function zephyrBaseCandidate(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZEPHYR_BASE || path.join(os.homedir(), 'zephyrproject', 'zephyr');
}

export function parseZephyrVersion(versionFile: string): string {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}\\s*=\\s*(\\S*)`, 'm').exec(versionFile);
    return m?.[1] ?? '';
  };
  const [major, minor, patch] = [field('VERSION_MAJOR'), field('VERSION_MINOR'), field('PATCHLEVEL')];
  if (!major || !minor || !patch) throw new WorkspaceError('VERSION file lacks VERSION_MAJOR/MINOR/PATCHLEVEL');
  const extra = field('EXTRAVERSION');
  return `${major}.${minor}.${patch}${extra ? `-${extra}` : ''}`;
}

/** Finds the workspace, or returns null when there is none (the HIL tier is then skipped). */
export function findZephyr(env: NodeJS.ProcessEnv = process.env): ZephyrWorkspace | null {
  const base = zephyrBaseCandidate(env);
  const versionPath = path.join(base, 'VERSION');
  if (!existsSync(versionPath)) return null;
  const version = parseZephyrVersion(readFileSync(versionPath, 'utf8'));
  let modules: string[];
  if (env.ZEPHYR_MODULES) {
    modules = env.ZEPHYR_MODULES.split(/[;:]/).filter((m) => m.length > 0);
  } else {
    // west lays modules out beside zephyr/: <workspace>/modules/<group>/<name>
    const modulesDir = path.join(path.dirname(base), 'modules');
    modules = knownModules.map((m) => path.join(modulesDir, m)).filter((m) => existsSync(m));
  }
  return { base, version, modules };
}

export function requireZephyr(env: NodeJS.ProcessEnv = process.env): ZephyrWorkspace {
  const ws = findZephyr(env);
  if (!ws) {
    throw new WorkspaceError(
      `no Zephyr workspace at ${zephyrBaseCandidate(env)} (set ZEPHYR_BASE, or run west init/update in ~/zephyrproject)`,
    );
  }
  return ws;
}

export type Arch = 'arm' | 'host';

export interface Toolchain {
  name: 'zephyr-sdk' | 'gnuarmemb' | 'host';
  /** Environment for cmake and ninja. */
  env: Record<string, string>;
  /** Extra -D cache entries (libc choice for Debian's arm-none-eabi-gcc). */
  cmakeArgs: string[];
}

function findSdk(env: NodeJS.ProcessEnv): string | null {
  if (env.ZEPHYR_SDK_INSTALL_DIR && existsSync(env.ZEPHYR_SDK_INSTALL_DIR)) return env.ZEPHYR_SDK_INSTALL_DIR;
  const home = os.homedir();
  let entries: string[] = [];
  try {
    entries = readdirSync(home);
  } catch {
    return null;
  }
  const sdks = entries.filter((e) => /^zephyr-sdk-\d/.test(e)).sort();
  const newest = sdks[sdks.length - 1];
  return newest ? path.join(home, newest) : null;
}

/**
 * The Zephyr SDK when one is installed; else Debian's arm-none-eabi-gcc under /usr with its
 * picolibc (newlib does not link there); native_sim always builds with the host gcc.
 */
export function toolchainFor(arch: Arch, env: NodeJS.ProcessEnv = process.env): Toolchain {
  if (arch === 'host') {
    return { name: 'host', env: { ZEPHYR_TOOLCHAIN_VARIANT: 'host' }, cmakeArgs: [] };
  }
  const sdk = findSdk(env);
  if (sdk) {
    return {
      name: 'zephyr-sdk',
      env: { ZEPHYR_TOOLCHAIN_VARIANT: 'zephyr', ZEPHYR_SDK_INSTALL_DIR: sdk },
      cmakeArgs: [],
    };
  }
  const gccRoot = env.GNUARMEMB_TOOLCHAIN_PATH || '/usr';
  return {
    name: 'gnuarmemb',
    env: {
      ZEPHYR_TOOLCHAIN_VARIANT: 'gnuarmemb',
      GNUARMEMB_TOOLCHAIN_PATH: gccRoot,
      ZEPHYR_TOOLCHAIN_SUPPORTS_THREAD_LOCAL_STORAGE: 'y',
    },
    cmakeArgs: ['-DTOOLCHAIN_HAS_PICOLIBC=ON', '-DCONFIG_PICOLIBC=y', '-DCONFIG_PICOLIBC_USE_TOOLCHAIN=y'],
  };
}

/** Debian's python3 carries the packages Zephyr's scripts need; a venv's python may not. */
export function pythonArgs(): string[] {
  return existsSync('/usr/bin/python3') ? ['-DPython3_EXECUTABLE=/usr/bin/python3'] : [];
}

export type EmulatedTargetName = 'mps2/an385' | 'qemu_cortex_m3' | 'native_sim';
export const emulatedTargets: EmulatedTargetName[] = ['mps2/an385', 'qemu_cortex_m3', 'native_sim'];

export interface TargetSpec {
  name: EmulatedTargetName;
  /** BOARD passed to cmake. */
  board: string;
  arch: Arch;
  /** Directory-safe name: build/<slug>. */
  slug: string;
}

export function targetSpec(name: string): TargetSpec {
  switch (name) {
    case 'mps2/an385':
      return { name, board: 'mps2/an385', arch: 'arm', slug: 'mps2_an385' };
    case 'qemu_cortex_m3':
      return { name, board: 'qemu_cortex_m3', arch: 'arm', slug: 'qemu_cortex_m3' };
    case 'native_sim':
      return { name, board: 'native_sim', arch: 'host', slug: 'native_sim' };
    default:
      throw new Error(`unknown emulated target "${name}" (known: ${emulatedTargets.join(', ')})`);
  }
}
