// The endpoint's counters, reported in `status`.
export interface EndpointStats {
  requests: number;
  errors: number;
  retries: number;
  wedged: number;
  rejectedTooLong: number;
  tokenCounts: number;
  queueDepth: number;
  inFlight: number;
}

export function newStats(): Omit<EndpointStats, 'queueDepth' | 'inFlight'> {
  return { requests: 0, errors: 0, retries: 0, wedged: 0, rejectedTooLong: 0, tokenCounts: 0 };
}
