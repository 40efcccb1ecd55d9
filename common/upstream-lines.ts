// A remote engine's upstreams as a person reads them (`cclocald status`, cclocal on attach). Pure.
import type { UpstreamStatus } from '../daemon/protocol/protocol.js';

export function upstreamLines(ups: readonly UpstreamStatus[], indent = '         '): string[] {
  return ups.map((u) => {
    const mark = u.healthy ? '✓ healthy' : u.checkedAt === null ? '… not probed yet' : '✗ unhealthy';
    const latency = u.latencyMs === null ? '' : `  ${u.latencyMs} ms`;
    const window = u.contextWindow === null ? '' : `  window ${u.contextWindow}`;
    const why = u.lastError ? `  (${u.lastError})` : '';
    return `${indent}${u.url}  ${mark}${latency}${window}${why}`;
  });
}
