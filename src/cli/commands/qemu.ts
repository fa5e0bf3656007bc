/**
 * `netbridge qemu`: build the companion app for an emulated target if needed, boot it, say where its
 * bridge UART is, run a netbridge command against it (default `monitor`) and stop the emulator
 * when that command ends, on error, or on Ctrl-C (the boot module's exit hooks kill it then).
 */
import path from 'node:path';
import type { Ctx } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { importRepoTs, repoRoot } from '../repo.js';

export const QEMU_TARGETS = ['mps2/an385', 'qemu_cortex_m3', 'native_sim'] as const;
export type QemuTarget = (typeof QEMU_TARGETS)[number];
/** Commands that make no sense inside `qemu` (they would boot or need no board). */
const NOT_NESTABLE = new Set(['qemu', 'hil', 'bench', 'ports', 'help']);
/** The firmware needs a moment after boot before it answers HELLO. */
const MIN_BOOT_TIMEOUT_MS = 15_000;

interface BuildModule {
  buildFirmware(target: string, o: { log: (l: string) => void }): Promise<{ buildDir: string; seconds: number }>;
}
interface BootModule {
  bootBuild(build: unknown, o: { log: (l: string) => void; workDir: string }): Promise<{
    bridgePath: string;
    stop(): Promise<void>;
  }>;
}
interface WorkspaceModule {
  findZephyr(): { base: string; version: string } | null;
  zephyrBaseCandidate(): string;
}

export function checkQemuTarget(t: string): QemuTarget {
  if (!(QEMU_TARGETS as readonly string[]).includes(t)) {
    throw new UsageError(`unknown target "${t}" (known: ${QEMU_TARGETS.join(', ')})`);
  }
  return t as QemuTarget;
}

/** The argv for the inner command: the global options, then the command. */
export function innerArgv(ctx: Ctx, bridgePath: string, command: string[]): string[] {
  const cmd = command.length > 0 ? command : ['monitor'];
  const name = cmd[0] as string;
  if (NOT_NESTABLE.has(name)) throw new UsageError(`"${name}" cannot run inside netbridge qemu`);
  return [
    '--port', bridgePath,
    '--baud', String(ctx.g.baud),
    '--timeout', String(Math.max(ctx.g.timeout, MIN_BOOT_TIMEOUT_MS)),
    ...(ctx.g.verbose ? ['--verbose'] : []),
    ...(ctx.g.json ? ['--json'] : []),
    ...cmd,
  ];
}

export async function runQemu(
  ctx: Ctx,
  target: QemuTarget,
  command: string[],
  runInner: (argv: string[]) => Promise<number>,
): Promise<number> {
  const ws = await importRepoTs<WorkspaceModule>('hil/lib/workspace.ts', 'netbridge qemu');
  if (!ws.findZephyr()) {
    throw new CliError(
      'NB_CLI_NO_ZEPHYR',
      `no Zephyr workspace at ${ws.zephyrBaseCandidate()}: set ZEPHYR_BASE or see README.md (Getting Zephyr)`,
    );
  }
  // Validate the inner command before spending a build on it.
  innerArgv(ctx, '/dev/null', command);
  const { buildFirmware } = await importRepoTs<BuildModule>('hil/lib/build.ts', 'netbridge qemu');
  const { bootBuild } = await importRepoTs<BootModule>('hil/lib/boot.ts', 'netbridge qemu');
  const log = (line: string) => (ctx.g.verbose || !line.startsWith('[boot') ? ctx.progress(line) : undefined);
  ctx.progress(`[qemu ${target}] building firmware/app (incremental)...`);
  const build = await buildFirmware(target, { log });
  ctx.progress(`[qemu ${target}] booting...`);
  const board = await bootBuild(build, { log, workDir: path.join(repoRoot, 'hil', '.work') });
  try {
    // The device path goes to stderr: stdout belongs to the inner command's data.
    ctx.io.stderr.write(`${ctx.err.bold(`[qemu ${target}] bridge UART: ${board.bridgePath}`)}\n`);
    return await runInner(innerArgv(ctx, board.bridgePath, command));
  } finally {
    ctx.progress(`[qemu ${target}] stopping the emulator`);
    await board.stop();
  }
}
