/** `netbridge info`: the board's HELLO facts, its limits, and the link counters of both ends. */
import { openSession } from '../connect.js';
import type { Ctx } from '../context.js';
import { type InfoReport, formatInfo } from '../format.js';

export async function runInfo(ctx: Ctx): Promise<number> {
  const s = await openSession(ctx, { heartbeatMs: 0, reconnect: false });
  try {
    let board: InfoReport['board'] = null;
    let boardError: string | null = null;
    try {
      board = await s.client.stats();
    } catch (err) {
      boardError = err instanceof Error ? err.message : String(err);
    }
    const report: InfoReport = { port: s.port, info: s.client.info, host: s.client.counters(), board, boardError };
    if (ctx.g.json) ctx.print(JSON.stringify(report));
    else for (const line of formatInfo(report)) ctx.print(line);
    return 0;
  } finally {
    await s.close();
  }
}
