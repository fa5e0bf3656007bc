/** `npm run hil -- --target <board>[+<variant>]`: parsing and the test files a variant runs. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultHilTargets, parseHilTarget, suiteArgsFor, variants } from '../hil/lib/targets.js';
import { repoRoot } from '../hil/lib/workspace.js';

describe('HIL target specs', () => {
  it('parses plain boards and board+variant', () => {
    expect(parseHilTarget('native_sim')).toMatchObject({ board: 'native_sim', variant: null });
    const shared = parseHilTarget('mps2/an385+shared-console');
    expect(shared.board).toBe('mps2/an385');
    expect(shared.variant?.sharedConsole).toBe(true);
    expect(parseHilTarget('native_sim+asan').variant?.overlays).toEqual(['firmware/app/overlay-asan.conf']);
  });

  it('refuses unknown boards, unknown variants and a variant on a board it is not defined for', () => {
    expect(() => parseHilTarget('qemu_x86')).toThrow(/unknown target "qemu_x86"/);
    expect(() => parseHilTarget('native_sim+tsan')).toThrow(/unknown variant "tsan"/);
    expect(() => parseHilTarget('qemu_cortex_m3+asan')).toThrow(/defined for native_sim, not qemu_cortex_m3/);
  });

  it('defaults to every board and every variant, all of which parse', () => {
    for (const t of defaultHilTargets) expect(() => parseHilTarget(t), t).not.toThrow();
    expect(defaultHilTargets).toContain('mps2/an385+shared-console');
    expect(defaultHilTargets).toContain('native_sim+asan');
  });

  it("names only overlays and test files that exist", () => {
    for (const v of Object.values(variants)) {
      for (const f of [...v.overlays, ...(v.suite ?? [])]) expect(existsSync(path.join(repoRoot, f)), f).toBe(true);
    }
  });
});

describe('suiteArgsFor', () => {
  const shared = variants['shared-console'] ?? null;
  const asan = variants.asan ?? null;

  it('passes the arguments through for a plain board or a variant running the whole tier', () => {
    expect(suiteArgsFor(null, ['-t', 'ping'])).toEqual({ args: ['-t', 'ping'], files: null });
    expect(suiteArgsFor(asan, ['hil/tests/cli.test.ts'])).toEqual({ args: ['hil/tests/cli.test.ts'], files: null });
  });

  it("puts a limited variant's files first, before the user's options", () => {
    const r = suiteArgsFor(shared, ['-t', 'reset']);
    expect(r.files).toEqual(shared?.suite);
    expect(r.args).toEqual([...(shared?.suite ?? []), '-t', 'reset']);
  });

  it("keeps only the named files the variant runs; none left means nothing to run", () => {
    expect(suiteArgsFor(shared, ['./hil/tests/ping.test.ts', 'hil/tests/cli.test.ts', '--bail=1'])).toEqual({
      args: ['./hil/tests/ping.test.ts', '--bail=1'],
      files: ['./hil/tests/ping.test.ts'],
    });
    expect(suiteArgsFor(shared, ['hil/tests/netmgmt.test.ts']).files).toEqual([]);
  });
});
