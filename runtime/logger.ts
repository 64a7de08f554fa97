// The node's root pino logger: one JSON line per event with `node` bound, `actor` bound on each
// actor's child, secrets redacted by path wherever they might appear. Pretty output only when
// SYNCPAY_LOG_PRETTY=1 (set by `npm start` for people watching a terminal).
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export const REDACT_PATHS = [
  'secret',
  '*.secret',
  'clusterSecret',
  '*.clusterSecret',
  'apiTokens',
  '*.apiTokens',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'signature',
  '*.signature',
];

export interface LoggerOptions {
  readonly nodeId: string;
  readonly level: string;
  readonly pretty: boolean;
  /** Where lines go (tests capture them); default stdout. */
  readonly destination?: DestinationStream;
  /** The node's current HLC stamp, added to every line so logs of all nodes merge in order. */
  readonly hlc?: () => string | undefined;
}

export function createRootLogger(options: LoggerOptions): PinoLogger {
  const base = {
    base: { node: options.nodeId },
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(options.hlc ? { mixin: mixinHlc(options.hlc) } : {}),
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' } },
    });
  }
  return pino(base, pino.destination({ sync: false }));
}

function mixinHlc(hlc: () => string | undefined): (merge: object) => object {
  // A line that already carries a stamp (a trace event) keeps it; the others get the clock's.
  return (merge) => {
    if ('hlc' in merge) return {};
    const stamp = hlc();
    return stamp === undefined ? {} : { hlc: stamp };
  };
}

/** A child for one actor, honouring `log.actorLevels`. */
export function actorLogger(root: PinoLogger, actor: string, levels: Readonly<Record<string, string>>): PinoLogger {
  const level = levels[actor];
  return level ? root.child({ actor }, { level }) : root.child({ actor });
}
