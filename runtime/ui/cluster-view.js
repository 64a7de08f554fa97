// The cluster at a glance: one card per node (role, term, commit and applied index, lag, clock
// offset, fence) and a small topology drawing of the links between nodes (up or down, round trip),
// with the leader marked. Everything comes from each node's /status; a node that does not answer
// is drawn as unreachable rather than with stale numbers.

const SVG_NS = 'http://www.w3.org/2000/svg';

let drawn = '';

export function renderCluster(watches, cardsHost, topology) {
  const statuses = watches.map((w) => w.status);
  // Only what is shown decides whether to redraw (phi and last-seen change on every poll).
  const key = JSON.stringify(watches.map((w) => shown(w)));
  if (key === drawn) return;
  drawn = key;
  const leaderStatus = statuses.find((s) => s && s.role === 'leader') || null;
  cardsHost.replaceChildren(...watches.map((w) => card(w, leaderStatus)));
  drawTopology(watches, topology);
}

function shown(watch) {
  const s = watch.status;
  if (!s) return [watch.id, watch.statusError];
  const links = Object.entries(s.peer_health ?? {}).map(([p, h]) => [p, h.healthy, typeof h.rtt_ms === 'number' ? rttText(h.rtt_ms) : null]);
  return [watch.id, s.role, s.term, s.leader, s.commit_index, s.applied_index, s.last_index, s.time_offset, s.clock_fenced, links];
}

function card(watch, leaderStatus) {
  const s = watch.status;
  const el = document.createElement('article');
  el.className = 'node-card';
  el.dataset.node = watch.id;
  const title = document.createElement('header');
  const name = document.createElement('b');
  name.textContent = watch.id;
  const role = document.createElement('span');
  title.append(name, ' ', role);
  el.append(title);
  if (!s) {
    el.classList.add('down');
    role.className = 'role role-down';
    role.textContent = 'unreachable';
    const why = document.createElement('p');
    why.className = 'muted';
    why.textContent = watch.statusError || 'no answer yet';
    el.append(why);
    return el;
  }
  role.className = `role role-${s.role}`;
  role.textContent = s.role === 'leader' ? '★ leader' : s.role;
  if (s.role === 'leader') el.classList.add('leader');
  if (s.clock_fenced) el.classList.add('fenced');
  const lag = leaderStatus ? Math.max(0, (leaderStatus.commit_index ?? 0) - (s.applied_index ?? 0)) : null;
  const rows = [
    ['term', s.term],
    ['leader', s.leader ?? '—'],
    ['commit / applied', `${s.commit_index} / ${s.applied_index}`],
    ['last index', s.last_index],
    ['lag', lag === null ? '—' : lag],
    ['clock offset', s.time_offset === null || s.time_offset === undefined ? 'unsynced' : `${Number(s.time_offset).toFixed(1)} ms`],
    ['fence', s.clock_fenced ? 'FENCED' : 'ok'],
  ];
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(v);
    dd.dataset.field = k;
    dl.append(dt, dd);
  }
  el.append(dl);
  return el;
}

/** Coarse on purpose: a label that flickers every second costs a redraw and tells nothing. */
function rttText(ms) {
  return ms < 1 ? '<1 ms' : `${Math.round(ms)} ms`;
}

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The link between a and b as both ends report it: up only if an end that answers says healthy. */
function linkState(a, b) {
  const views = [a.status?.peer_health?.[b.id], b.status?.peer_health?.[a.id]].filter(Boolean);
  if (views.length === 0) return { known: false, up: false, rtt: null };
  const up = views.every((h) => h.healthy);
  const rtts = views.map((h) => h.rtt_ms).filter((r) => typeof r === 'number');
  const rtt = rtts.length ? rtts.reduce((x, y) => x + y, 0) / rtts.length : null;
  return { known: true, up, rtt };
}

function drawTopology(watches, host) {
  const n = watches.length;
  const cx = 130;
  const cy = 110;
  const r = n > 1 ? 78 : 0;
  const at = watches.map((w, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return { w, x: cx + r * Math.cos(angle), y: cy + r * Math.sin(angle) };
  });
  const parts = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = at[i];
      const b = at[j];
      const link = linkState(a.w, b.w);
      const cls = !link.known ? 'link unknown' : link.up ? 'link up' : 'link down';
      const line = svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: cls });
      line.dataset.link = `${a.w.id}-${b.w.id}`;
      parts.push(line);
      const label = !link.known ? '?' : link.up ? (link.rtt === null ? 'up' : rttText(link.rtt)) : 'down';
      parts.push(svg('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 3, class: 'link-label', 'text-anchor': 'middle' }, label));
    }
  }
  for (const p of at) {
    const s = p.w.status;
    const cls = ['topo-node', s ? `role-${s.role}` : 'role-down'].join(' ');
    const g = svg('g', { class: cls });
    g.dataset.node = p.w.id;
    g.append(svg('circle', { cx: p.x, cy: p.y, r: 22 }));
    g.append(svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle' }, p.w.id));
    if (s && s.role === 'leader') g.append(svg('text', { x: p.x, y: p.y - 26, 'text-anchor': 'middle', class: 'crown' }, '★ leader'));
    if (s) g.append(svg('text', { x: p.x, y: p.y + 36, 'text-anchor': 'middle', class: 'term' }, `term ${s.term}`));
    parts.push(g);
  }
  host.replaceChildren(...parts);
}
