/**
 * Finds sanitizer reports (AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer, and the
 * other sanitizers' standard headers) in a process's stderr, fed in arbitrary chunks. A report
 * fails the HIL target even when the suite passed: with recovery on, UBSan prints and carries on,
 * and LeakSanitizer only speaks when zephyr.exe exits, after the last test.
 *
 * Memory is bounded: partial lines are capped, at most MAX_FINDINGS reports are kept (further
 * ones are only counted), each with at most CONTEXT_LINES lines of what followed its first line.
 */

export type SanitizerKind = 'asan' | 'lsan' | 'ubsan' | 'tsan' | 'msan' | 'other';

export interface SanitizerFinding {
  kind: SanitizerKind;
  /** The line that opened the report (with the ==PID== prefix stripped). */
  headline: string;
  /** The report as printed: the headline and the lines after it, up to the next report. */
  text: string;
}

const MAX_FINDINGS = 20;
const CONTEXT_LINES = 60;
const UBSAN_CONTEXT_LINES = 4;
const MAX_LINE = 4096;

/** Headlines that start a report; order matters only for the kind given to a line. */
const HEADLINES: { kind: SanitizerKind; re: RegExp }[] = [
  { kind: 'lsan', re: /\bERROR: LeakSanitizer\b/ },
  { kind: 'asan', re: /\bERROR: AddressSanitizer\b|\bAddressSanitizer:DEADLYSIGNAL\b/ },
  // "path/file.c:12:34: runtime error: ...", as printed by UBSan's runtime (GCC and clang)
  { kind: 'ubsan', re: /\bruntime error: / },
  { kind: 'ubsan', re: /\bUndefinedBehaviorSanitizer:DEADLYSIGNAL\b|\bERROR: UndefinedBehaviorSanitizer\b/ },
  { kind: 'tsan', re: /\bWARNING: ThreadSanitizer\b|\bERROR: ThreadSanitizer\b/ },
  { kind: 'msan', re: /\bWARNING: MemorySanitizer\b/ },
  // A sanitizer runtime that could not even start (e.g. shadow memory mapping refused).
  { kind: 'other', re: /\bERROR: \w*Sanitizer (failed|can't|cannot)\b/ },
];

/** The closing line of a report; it belongs to the report being collected. */
const SUMMARY = /^SUMMARY: \w*Sanitizer/;

export function classifySanitizerLine(line: string): SanitizerKind | null {
  for (const h of HEADLINES) if (h.re.test(line)) return h.kind;
  return null;
}

export class SanitizerScanner {
  private partial = '';
  private readonly kept: SanitizerFinding[] = [];
  private current: { finding: SanitizerFinding; lines: number } | null = null;
  private total = 0;

  /** Feeds a chunk of the process's output (any split, also mid-line). */
  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    // An endless line without a newline must not grow without bound.
    if (this.partial.length > MAX_LINE) {
      this.line(this.partial.slice(0, MAX_LINE));
      this.partial = '';
    }
    for (const l of lines) this.line(l);
  }

  /** Flushes an unterminated last line (call when the process has exited). */
  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    this.current = null;
  }

  /** Reports found so far (at most MAX_FINDINGS kept). */
  findings(): SanitizerFinding[] {
    return this.kept.map((f) => ({ ...f }));
  }

  /** Every report seen, including those not kept. */
  count(): number {
    return this.total;
  }

  /** One line per report kind, for a report: "2 AddressSanitizer, 1 UBSan". */
  summary(): string {
    const names: Record<SanitizerKind, string> = {
      asan: 'AddressSanitizer',
      lsan: 'LeakSanitizer',
      ubsan: 'UBSan',
      tsan: 'ThreadSanitizer',
      msan: 'MemorySanitizer',
      other: 'sanitizer runtime error',
    };
    const by = new Map<SanitizerKind, number>();
    for (const f of this.kept) by.set(f.kind, (by.get(f.kind) ?? 0) + 1);
    const parts = [...by].map(([k, n]) => `${n} ${names[k]}`);
    if (this.total > this.kept.length) parts.push(`${this.total - this.kept.length} more not kept`);
    return parts.join(', ');
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, '').slice(0, MAX_LINE);
    const text = line.replace(/^==\d+==\s*/, '');
    const kind = classifySanitizerLine(text);
    // ASan's own report also names the bug in later lines ("READ of size 4 ..."), never a second
    // "ERROR: AddressSanitizer"; a new headline therefore always starts a new report.
    if (kind) {
      this.open(kind, text.trim(), line);
      return;
    }
    const summary = SUMMARY.exec(text);
    if (!this.current) {
      // A summary whose headline was lost (cut by a restart, or beyond a capped line) still counts.
      if (summary) this.open(kindOfSummary(text), text.trim(), line);
      return;
    }
    // A UBSan "runtime error" is one line; what follows is ordinary output unless a summary comes.
    const limit = this.current.finding.kind === 'ubsan' ? UBSAN_CONTEXT_LINES : CONTEXT_LINES;
    if (this.current.lines < limit) {
      this.current.finding.text += `\n${line}`;
      this.current.lines++;
    }
    if (summary) this.current = null;
  }

  private open(kind: SanitizerKind, headline: string, line: string): void {
    this.total++;
    if (this.kept.length < MAX_FINDINGS) {
      const finding: SanitizerFinding = { kind, headline, text: line };
      this.kept.push(finding);
      this.current = { finding, lines: 1 };
    } else {
      this.current = null;
    }
  }
}

function kindOfSummary(line: string): SanitizerKind {
  if (/LeakSanitizer/.test(line)) return 'lsan';
  if (/AddressSanitizer/.test(line)) return 'asan';
  if (/UndefinedBehaviorSanitizer/.test(line)) return 'ubsan';
  if (/ThreadSanitizer/.test(line)) return 'tsan';
  if (/MemorySanitizer/.test(line)) return 'msan';
  return 'other';
}
