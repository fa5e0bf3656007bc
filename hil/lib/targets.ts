/**
 * What `npm run hil -- --target` accepts: an emulated board, optionally with a build variant
 * (`<board>+<variant>`), and which test files a variant runs.
 */
import { emulatedTargets, type EmulatedTargetName } from './workspace.js';
/**
 * A build variant of an emulated target, named as `<board>+<variant>` (e.g. mps2/an385+shared-console):
 * extra Kconfig fragments and devicetree overlays, what the boot wires differently, and which test
 * files apply.
 */
export interface VariantSpec {
  name: string;
  description: string;
  /** Boards the variant is defined for. */
  boards: EmulatedTargetName[];
  /** Overlays relative to the repository root, added to the build. */
  overlays: string[];
  /** The bridge shares the console UART: QEMU's first UART is the bridge line, there is no second. */
  sharedConsole: boolean;
  /** Test files (relative to the repository root) the variant runs; null: the whole default tier. */
  suite: string[] | null;
}

export const variants: Record<string, VariantSpec> = {
  'shared-console': {
    name: 'shared-console',
    description: 'the bridge on the console UART, frames between log lines (overlay-shared-console.conf)',
    boards: ['mps2/an385'],
    overlays: ['firmware/app/overlay-shared-console.conf', 'firmware/app/shared-console.overlay'],
    sharedConsole: true,
    suite: [
      'hil/tests/handshake.test.ts',
      'hil/tests/ping.test.ts',
      'hil/tests/garbage.test.ts',
      'hil/tests/reset.test.ts',
      'hil/tests/shared-console.test.ts',
    ],
  },
  asan: {
    name: 'asan',
    description: 'AddressSanitizer + UBSan build; a sanitizer report on stderr fails the target (overlay-asan.conf)',
    boards: ['native_sim'],
    overlays: ['firmware/app/overlay-asan.conf'],
    sharedConsole: false,
    suite: null,
  },
};

export interface HilTargetSpec {
  /** As given: "native_sim", "mps2/an385+shared-console". */
  spec: string;
  board: EmulatedTargetName;
  variant: VariantSpec | null;
}

/** Parses `<board>[+<variant>]`; throws with the known names when either part is unknown. */
export function parseHilTarget(spec: string): HilTargetSpec {
  const plus = spec.indexOf('+');
  const boardName = plus < 0 ? spec : spec.slice(0, plus);
  const variantName = plus < 0 ? null : spec.slice(plus + 1);
  if (!(emulatedTargets as string[]).includes(boardName)) {
    throw new Error(`unknown target "${spec}" (boards: ${emulatedTargets.join(', ')}; variants: ${variantList()})`);
  }
  const board = boardName as EmulatedTargetName;
  if (variantName === null) return { spec, board, variant: null };
  const variant = variants[variantName];
  if (!variant) throw new Error(`unknown variant "${variantName}" in "${spec}" (variants: ${variantList()})`);
  if (!variant.boards.includes(board)) {
    throw new Error(`variant "${variantName}" is defined for ${variant.boards.join(', ')}, not ${board}`);
  }
  return { spec, board, variant };
}

function variantList(): string {
  return Object.values(variants)
    .map((v) => `${v.boards.join('|')}+${v.name}`)
    .join(', ');
}

/** What `npm run hil` runs with no --target: the three boards, then the two variants. */
export const defaultHilTargets: string[] = [...emulatedTargets, 'mps2/an385+shared-console', 'native_sim+asan'];

/**
 * The vitest arguments for a target: a variant limited to some files gets them as filters, unless
 * the user named test files, in which case only those of them the variant runs are kept (an empty
 * list means: nothing of what was asked applies to this variant).
 */
export function suiteArgsFor(variant: VariantSpec | null, userArgs: string[]): { args: string[]; files: string[] | null } {
  if (!variant?.suite) return { args: userArgs, files: null };
  const named = userArgs.filter((a) => /\.test\.ts$/.test(a));
  if (named.length === 0) return { args: [...variant.suite, ...userArgs], files: [...variant.suite] };
  const norm = (f: string) => f.replace(/^\.\//, '');
  const keep = named.filter((f) => variant.suite?.includes(norm(f)));
  const rest = userArgs.filter((a) => !named.includes(a));
  return { args: [...keep, ...rest], files: keep };
}
