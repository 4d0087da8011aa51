import pino, { Logger } from 'pino';

/**
 * Structured JSON logs (pino). The level comes from the service config; this module
 * only builds loggers, it never reads the environment.
 */
let root: Logger = pino({ level: 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime });

export function configureLogger(level: string): void {
  root = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

export function logger(component: string): Logger {
  return root.child({ component });
}

export type { Logger };
