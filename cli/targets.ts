// Which nodes the CLI talks to, and in what order. The cluster is read from the same
// cluster.config.json the nodes use (or --config), so an operator's CLI and the cluster agree on
// addresses without another setting. `--node` picks the nodes to ask first; the other configured
// nodes are the fallbacks, but only when every `--node` is one of them: URLs outside the
// configuration are asked alone, so a command aimed at one cluster never lands on another.
import { DEFAULT_CONFIG } from '../machines/config.ts';
import { isObject } from './views.ts';

export interface NodeTarget {
  readonly id: string;
  readonly url: string;
}

export const DEFAULT_CONFIG_FILE = 'cluster.config.json';

/** The URL of a node's client API. A wildcard bind address is reached over loopback. */
export function apiUrl(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const reachable = host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host;
  const bracketed = reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;
  return `${scheme}://${bracketed}:${port}`;
}

/** `cluster.nodes` of a parsed configuration file (or of the defaults when it has none) as targets. */
export function nodesOfConfig(file: unknown): NodeTarget[] {
  const cluster = isObject(file) ? file['cluster'] : undefined;
  const nodes = isObject(cluster) && Array.isArray(cluster['nodes']) ? cluster['nodes'] : DEFAULT_CONFIG.cluster.nodes;
  const out: NodeTarget[] = [];
  for (const n of nodes as unknown[]) {
    if (!isObject(n) || typeof n['id'] !== 'string' || typeof n['host'] !== 'string' || typeof n['apiPort'] !== 'number') continue;
    out.push({ id: n['id'], url: apiUrl(n['host'], n['apiPort']) });
  }
  return out;
}

/** `cluster.nodes` as a running node reports it in GET /config (each value wrapped with its source). */
export function nodesOfConfigView(view: unknown, scheme: 'http' | 'https'): NodeTarget[] | null {
  const config = isObject(view) && isObject(view['config']) ? view['config'] : null;
  const sections = config !== null && isObject(config['config']) ? config['config'] : null;
  const cluster = sections !== null && isObject(sections['cluster']) ? sections['cluster'] : null;
  const nodes = cluster !== null && isObject(cluster['nodes']) ? cluster['nodes']['value'] : null;
  if (!Array.isArray(nodes)) return null;
  const out: NodeTarget[] = [];
  for (const n of nodes as unknown[]) {
    if (!isObject(n) || typeof n['id'] !== 'string' || typeof n['host'] !== 'string' || typeof n['apiPort'] !== 'number') continue;
    out.push({ id: n['id'], url: apiUrl(n['host'], n['apiPort'], scheme) });
  }
  return out.length === 0 ? null : out;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * The nodes to try, in order. Without `--node`: the configured nodes. With `--node` URLs that are
 * all configured nodes: those first, then the other configured nodes as fallbacks. With any URL
 * outside the configuration (another cluster, a TLS proxy): exactly the URLs given.
 */
export function targetOrder(preferred: readonly string[], configured: readonly NodeTarget[]): NodeTarget[] {
  if (preferred.length === 0) return [...configured];
  const matches = preferred.map((url) => ({ url, node: configured.find((n) => sameOrigin(n.url, url)) }));
  if (matches.some((m) => m.node === undefined)) return preferred.map((url) => ({ id: new URL(url).host, url }));
  const chosen = matches.map((m) => ({ id: m.node!.id, url: m.url }));
  return [...chosen, ...configured.filter((n) => !matches.some((m) => m.node === n))];
}

/** True when `nodes` lists a node at the origin of `url` (so that list is reachable the same way). */
export function includesOrigin(nodes: readonly NodeTarget[], url: string): boolean {
  return nodes.some((n) => sameOrigin(n.url, url));
}
