// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) into the two views the performance notes
// need: self time per function and self time per area (our layers, each dependency, Node's own
// internals, GC, idle). Pure over the parsed JSON, so it is tested without profiling anything.

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Time not idle: what the process actually spent CPU on. */
  readonly busyMs: number;
  readonly byFunction: readonly SelfTime[];
  readonly byArea: readonly SelfTime[];
}

/** Which part of the system a script URL belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(garbage collector)') return '(gc)';
  if (functionName === '(program)' || url === '') return '(program/native)';
  if (url.startsWith('node:')) return 'node internals';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1] ?? 'node_modules';
  const ours = /\/(machines|actors|runtime|bench|spec|scripts)\/(.*)$/.exec(url);
  if (ours) {
    const sub = (ours[2] ?? '').split('/');
    return sub.length > 1 ? `${ours[1]}/${sub[0]}` : `${ours[1]}/${sub[0] ?? ''}`;
  }
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  const ours = /\/((?:machines|actors|runtime|bench|spec|scripts)\/.*)$/.exec(url);
  if (ours) return ours[1] ?? url;
  const dep = /node_modules\/(.*)$/.exec(url);
  return dep ? dep[1] ?? url : url;
}

function top(map: Map<string, number>, busyMs: number, limit: number): SelfTime[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }));
}

export function summarizeProfile(profile: CpuProfile, limit = 25): ProfileSummary {
  // Self time per node: the sum of the time deltas of the samples that landed in it (more exact
  // than hitCount x mean interval when sampling was uneven).
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // timeDeltas[i] is the gap before sample i, so it is charged to the sample it precedes.
    for (let i = 0; i < samples.length; i++) {
      const id = samples[i] ?? -1;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0));
    }
  } else {
    const hits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    const per = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * per);
  }
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const n of profile.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = n.callFrame;
    const area = areaOf(url, functionName);
    if (area === '(idle)') {
      idleUs += us;
      continue;
    }
    const fn = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us / 1000);
    byArea.set(area, (byArea.get(area) ?? 0) + us / 1000);
  }
  const busyMs = (totalUs - idleUs) / 1000;
  return { totalMs: totalUs / 1000, busyMs, byFunction: top(byFunction, busyMs, limit), byArea: top(byArea, busyMs, limit) };
}

export function renderProfileSummary(name: string, s: ProfileSummary): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(6);
  const lines = [`${name}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s busy`, '', 'self time by area:'];
  for (const a of s.byArea) lines.push(`  ${pct(a.share)}  ${a.ms.toFixed(0).padStart(7)} ms  ${a.name}`);
  lines.push('', 'self time by function:');
  for (const f of s.byFunction) lines.push(`  ${pct(f.share)}  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
  return lines.join('\n');
}

/**
 * Where a hot function is called from: its self time split by the chain of `depth` callers above
 * it. A native leaf like `writev` says nothing until one knows whether sockets or the log called it.
 */
export function callersOf(profile: CpuProfile, functionName: string, depth = 3, limit = 5): SelfTime[] {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
  const interval = (profile.endTime - profile.startTime) / Math.max(1, (profile.samples ?? []).length) / 1000;
  const chains = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    if (n.callFrame.functionName !== functionName) continue;
    const ms = (hits.get(n.id) ?? n.hitCount ?? 0) * interval;
    if (ms === 0) continue;
    const names: string[] = [];
    let up = parent.get(n.id);
    while (up !== undefined && names.length < depth) {
      const p = byId.get(up);
      if (!p) break;
      names.push(`${p.callFrame.functionName || '(anonymous)'}${p.callFrame.url ? ` ${shortUrl(p.callFrame.url)}:${p.callFrame.lineNumber + 1}` : ''}`);
      up = parent.get(up);
    }
    const key = names.join(' < ') || '(root)';
    chains.set(key, (chains.get(key) ?? 0) + ms);
    total += ms;
  }
  return top(chains, total, limit);
}
