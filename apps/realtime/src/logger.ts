import { type Logger, pino } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; the node id rides on every line so several nodes' logs can be merged. */
export function createLogger(level: string, nodeId: string): Logger {
  return pino({ level, base: { node: nodeId }, timestamp: pino.stdTimeFunctions.isoTime });
}
