// What every subcommand that talks to the cluster shares: the outside world (`CliIo`), the
// exit codes, the ordered list of nodes to ask and the client options (`Context`), and the one way
// a command fails (`CliFailure`: one line and an exit code).
import { isAbsolute, join } from 'node:path';
import type { GlobalOptions, ParsedCommand } from './args.ts';
import { problemText, requestEach, requestFirst, type Answer, type ClientOptions, type FetchLike } from './client.ts';
import type { Delegation } from './delegate.ts';
import { DEFAULT_CONFIG_FILE, includesOrigin, nodesOfConfig, nodesOfConfigView, targetOrder, type NodeTarget } from './targets.ts';
import type { NodeReport } from './status-view.ts';
import { isObject, type Json } from './views.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;

/** How long a command keeps retrying while nodes answer 503 (an election in progress). */
export const RETRY_WINDOW_MS = 5000;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly fetch: FetchLike;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** File contents, or null when it does not exist. Throws on other errors. */
  readonly readFile: (path: string) => string | null;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds on a monotonic clock (retry deadlines). */
  readonly now: () => number;
  /** A new transfer id (the idempotency key of a payment the user did not name). */
  readonly newId: () => string;
  /** Runs start/node/bench/chaos; the specs replace it to see what would run. */
  readonly delegate: (delegation: Delegation, cwd: string) => Promise<number>;
  /** For --follow: true once the user asked to stop (Ctrl-C). */
  readonly stopped: () => boolean;
}

/** A failure that ends the command with one line and an exit code. */
export class CliFailure extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** What every networked subcommand needs: the ordered nodes, the client options, the output. */
export class Context {
  readonly client: ClientOptions;
  readonly targets: readonly NodeTarget[];

  constructor(readonly globals: GlobalOptions, readonly io: CliIo) {
    const tokens = (io.env['SYNCPAY_API_TOKENS'] ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
    this.client = {
      fetch: io.fetch,
      timeoutMs: globals.timeoutMs,
      token: globals.token ?? tokens[0] ?? null,
      retryWindowMs: RETRY_WINDOW_MS,
      now: io.now,
      sleep: io.sleep,
    };
    this.targets = targetOrder(globals.nodes, this.configured());
  }

  private configured(): NodeTarget[] {
    const explicit = this.globals.config;
    const path = explicit === null ? join(this.io.cwd, DEFAULT_CONFIG_FILE) : isAbsolute(explicit) ? explicit : join(this.io.cwd, explicit);
    let text: string | null;
    try {
      text = this.io.readFile(path);
    } catch (error) {
      throw new CliFailure(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, EXIT_USAGE);
    }
    if (text === null) {
      if (explicit !== null) throw new CliFailure(`--config ${explicit}: no such file`, EXIT_USAGE);
      return nodesOfConfig(null);
    }
    try {
      return nodesOfConfig(JSON.parse(text));
    } catch {
      throw new CliFailure(`${path} is not valid JSON`, EXIT_USAGE);
    }
  }

  print(human: string, json: unknown): void {
    this.io.stdout(this.globals.json ? `${JSON.stringify(json, null, 2)}\n` : `${human}\n`);
  }

  /**
   * Every node of the running cluster: the list the first answering node reports in GET /config
   * (so `npm start -- --nodes 5` is seen whole), when that list holds the address we reached it at.
   * Otherwise (we came through a proxy, or the nodes bind addresses this machine cannot reach) the
   * nodes we were told about are all we can use.
   */
  async clusterNodes(): Promise<NodeTarget[]> {
    try {
      const answer = await requestFirst(this.targets, 'GET', '/config', undefined, this.client);
      const scheme = new URL(answer.node.url).protocol === 'https:' ? 'https' : 'http';
      const discovered = answer.status === 200 ? nodesOfConfigView(answer.body, scheme) : null;
      if (discovered !== null && includesOrigin(discovered, answer.node.url)) return discovered;
    } catch {
      // nobody answered: the configured list is all we know, and each will show as unreachable
    }
    return [...this.targets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async reports(): Promise<NodeReport[]> {
    const nodes = await this.clusterNodes();
    const results = await requestEach(nodes, '/status', this.client);
    return results.map(({ node, answer, error }) => ({
      id: node.id,
      url: node.url,
      status: answer !== null && answer.status === 200 && isObject(answer.body) ? answer.body : null,
      error: answer === null ? error : answer.status === 200 ? null : `${answer.status} ${problemText(answer)}`,
    }));
  }
}

/** A non-2xx answer becomes the command's one-line error. */
export function expectOk(answer: Answer, what: string): Json {
  if (answer.status >= 200 && answer.status < 300 && isObject(answer.body)) return answer.body;
  if (answer.status === 404 && isObject(answer.body) && answer.body['code'] === 'SYNCPAY_ERR_NOT_FOUND') {
    throw new CliFailure(`${answer.node.id} does not serve ${what} (${problemText(answer)})`, EXIT_FAILED);
  }
  throw new CliFailure(`${answer.status} ${problemText(answer)}`, EXIT_FAILED);
}

export function query(params: Record<string, string | undefined>): string {
  const pairs = Object.entries(params).filter((p): p is [string, string] => p[1] !== undefined);
  return pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}

export function option(cmd: ParsedCommand, name: string): string | undefined {
  const value = cmd.options[name];
  return typeof value === 'string' ? value : undefined;
}
