/**
 * The HIL runner's sanitizer scanner on output shaped like GCC 12's libasan/libubsan prints it
 * (32-bit native_sim), fed in awkward chunks: every kind of report must be found, ordinary
 * firmware output must not be.
 */
import { describe, expect, it } from 'vitest';
import { SanitizerScanner, classifySanitizerLine } from '../hil/lib/sanitizer.js';

const ASAN_UAF = `=================================================================
==12983==ERROR: AddressSanitizer: heap-use-after-free on address 0xf5a00793 at pc 0x5663448a bp 0xffaad8a8 sp 0xffaad89c
READ of size 1 at 0xf5a00793 thread T0
    #0 0x56634489 in nb_link_rx firmware/src/nb_link.c:212
    #1 0x566a02d4 in link_thread firmware/src/nb_core.c:470

0xf5a00793 is located 3 bytes inside of 8-byte region [0xf5a00790,0xf5a00798)
freed by thread T0 here:
    #0 0xf79929ff in __interceptor_free ../../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52
    #1 0x56634412 in k_free zephyr/kernel/mempool.c:80

SUMMARY: AddressSanitizer: heap-use-after-free firmware/src/nb_link.c:212 in nb_link_rx
Shadow bytes around the buggy address:
=>0x3eb400f0: fa fa[fd]fa fa fa 00 00 fa fa fa fa fa fa fa fa
==12983==ABORTING
`;

const LSAN = `
=================================================================
==12988==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 8 byte(s) in 1 object(s) allocated from:
    #0 0xf7a03b2b in __interceptor_malloc ../../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x5662a4a7 in nsi_host_malloc scripts/native_simulator/common/src/nsi_host_trampolines.c:40

SUMMARY: AddressSanitizer: 8 byte(s) leaked in 1 allocation(s).
`;

const UBSAN = `firmware/src/nb_frame.c:88:39: runtime error: signed integer overflow: 2147483647 + 2 cannot be represented in type 'int'
firmware/src/nb_msg.c:140:12: runtime error: shift exponent 33 is too large for 32-bit type 'int'
`;

const FIRMWARE_OUTPUT = `*** Booting Zephyr OS build v4.1.99 ***
[00:00:00.000,000] <inf> netbridge: bridge UART uart_1: polled
[00:00:00.000,000] <inf> netbridge: netbridge 0.1.0 on uart_1, mtu 1024
[00:00:01.234,000] <err> netbridge: op PING did not answer request 7
uart:~$ net iface
Interface eth0 (0x8069e40) (Ethernet) [1]
WARNING: Using a test - not safe - entropy source
error: the runtime is fine, this is an ordinary log line
Stopped at 3.964s
`;

/** Feeds text in chunks of 1..13 characters, splitting lines anywhere. */
function feed(scanner: SanitizerScanner, text: string): void {
  let i = 0;
  let n = 1;
  while (i < text.length) {
    scanner.push(text.slice(i, i + n));
    i += n;
    n = (n % 13) + 1;
  }
}

describe('SanitizerScanner', () => {
  it('finds nothing in ordinary firmware output', () => {
    const s = new SanitizerScanner();
    feed(s, FIRMWARE_OUTPUT.repeat(50));
    s.end();
    expect(s.count()).toBe(0);
    expect(s.findings()).toEqual([]);
  });

  it('finds an AddressSanitizer report between log lines, with its stack and summary', () => {
    const s = new SanitizerScanner();
    feed(s, FIRMWARE_OUTPUT + ASAN_UAF);
    s.end();
    expect(s.count()).toBe(1);
    const [f] = s.findings();
    expect(f?.kind).toBe('asan');
    expect(f?.headline).toMatch(/^ERROR: AddressSanitizer: heap-use-after-free/);
    expect(f?.text).toContain('nb_link.c:212');
    expect(f?.text).toContain('SUMMARY: AddressSanitizer: heap-use-after-free');
    // The report ends at its summary: the shadow-byte dump is not part of it.
    expect(f?.text).not.toContain('Shadow bytes');
    expect(s.summary()).toBe('1 AddressSanitizer');
  });

  it('finds a LeakSanitizer report printed at exit', () => {
    const s = new SanitizerScanner();
    feed(s, FIRMWARE_OUTPUT + LSAN);
    s.end();
    expect(s.findings().map((f) => f.kind)).toEqual(['lsan']);
    expect(s.findings()[0]?.text).toContain('Direct leak of 8 byte(s)');
  });

  it('finds each UBSan runtime error, also when it is the last, unterminated line', () => {
    const s = new SanitizerScanner();
    feed(s, FIRMWARE_OUTPUT + UBSAN.trimEnd());
    expect(s.count()).toBe(1); // the second line has no newline yet
    s.end();
    expect(s.count()).toBe(2);
    expect(s.findings().every((f) => f.kind === 'ubsan')).toBe(true);
    expect(s.findings()[1]?.headline).toContain('shift exponent 33');
    expect(s.summary()).toBe('2 UBSan');
  });

  it('keeps a bounded number of reports and says how many more there were', () => {
    const s = new SanitizerScanner();
    feed(s, UBSAN.repeat(30));
    s.end();
    expect(s.count()).toBe(60);
    expect(s.findings().length).toBe(20);
    expect(s.summary()).toBe('20 UBSan, 40 more not kept');
  });

  it('bounds a line without a newline and still finds a report after it', () => {
    const s = new SanitizerScanner();
    s.push('x'.repeat(100_000));
    s.push(`\n${ASAN_UAF}`);
    s.end();
    expect(s.count()).toBe(1);
    expect(s.findings()[0]?.text.length).toBeLessThan(10_000);
  });

  it('counts a summary whose headline was lost', () => {
    const s = new SanitizerScanner();
    s.push('SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior firmware/src/nb_msg.c:140:12 in\n');
    s.end();
    expect(s.findings().map((f) => f.kind)).toEqual(['ubsan']);
  });

  it('classifies the headlines of each sanitizer', () => {
    expect(classifySanitizerLine('==1==ERROR: AddressSanitizer: SEGV on unknown address')).toBe('asan');
    expect(classifySanitizerLine('AddressSanitizer:DEADLYSIGNAL')).toBe('asan');
    expect(classifySanitizerLine('==1==ERROR: LeakSanitizer: detected memory leaks')).toBe('lsan');
    expect(classifySanitizerLine("a.c:1:2: runtime error: load of misaligned address 0x1 for type 'int'")).toBe('ubsan');
    expect(classifySanitizerLine('WARNING: ThreadSanitizer: data race (pid=1)')).toBe('tsan');
    expect(classifySanitizerLine('[00:00:01.000,000] <err> netbridge: runtime is fine')).toBeNull();
  });
});
