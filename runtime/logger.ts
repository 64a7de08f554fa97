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

/** The part of a pino logger the deferred child needs (fastify hands us its own child of ours). */
interface ParentLogger {
  level: string;
  isLevelEnabled?(level: string): boolean;
  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): ParentLogger;
  [method: string]: unknown;
}

type LogCall = (...args: unknown[]) => void;

/**
 * fastify's per-request child logger, made only when a line is actually written. fastify builds one
 * child per request to bind its id, and with redaction configured pino serialises and redacts the
 * bindings of every child it builds: at thousands of requests per second that is measurable work
 * for lines that the level drops (request lines are at `warn`). The deferred child asks the parent
 * whether the level is on and builds the real child, with the same bindings, the first time it is.
 */
class DeferredChild {
  private made: ParentLogger | null = null;

  constructor(
    private readonly parent: ParentLogger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: Record<string, unknown>,
  ) {}

  get level(): string {
    return (this.made ?? this.parent).level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    const logger = this.made ?? this.parent;
    return logger.isLevelEnabled ? logger.isLevelEnabled(level) : true;
  }

  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): ParentLogger {
    return this.real().child(bindings, options);
  }

  fatal(...args: unknown[]): void { this.write('fatal', args); }
  error(...args: unknown[]): void { this.write('error', args); }
  warn(...args: unknown[]): void { this.write('warn', args); }
  info(...args: unknown[]): void { this.write('info', args); }
  debug(...args: unknown[]): void { this.write('debug', args); }
  trace(...args: unknown[]): void { this.write('trace', args); }
  silent(): void {}

  private write(level: string, args: unknown[]): void {
    if (this.made === null && !this.isLevelEnabled(level)) return;
    const logger = this.real();
    (logger[level] as LogCall).apply(logger, args);
  }

  private real(): ParentLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }
}

/**
 * A fastify `childLoggerFactory`: the request's logger is built on first use. A route with its own
 * level gets a real child at once (its level, not the parent's, decides what is written).
 */
export function deferredChildLogger<L>(logger: L, bindings: Record<string, unknown>, options: Record<string, unknown>): L {
  const parent = logger as unknown as ParentLogger;
  if (options['level'] !== undefined || typeof parent.isLevelEnabled !== 'function') return parent.child(bindings, options) as unknown as L;
  return new DeferredChild(parent, bindings, options) as unknown as L;
}
