// Statechart drawing shared by the browser page and `npm run diagrams`: builds the elkjs input
// for a machine graph (see machine-graph.ts) and turns elkjs's layout into SVG text. It is plain
// JavaScript with no imports so the page can load it as-is and Node can run it unchanged; one
// renderer means the docs show exactly what the live page shows.
//
// Text is measured by character count in a monospace font: the page and Node then agree on box
// sizes without a canvas, and layouts are reproducible byte for byte.

const CHAR_W = 6.8;
const LINE_H = 14;
const TITLE_H = 22;
const PAD_X = 10;
const INITIAL_D = 10;
const ANY_W = 34;

/** Lay-out options every chart uses (layered, top-down, absolute coordinates everywhere). */
export const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.spacing.nodeNode': '24',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
};

/** The state ids a state value makes active (`{a: 'b'}`: the ids of `a` and `a.b`), root first. */
export function activeStateIds(graph, value) {
  const byPath = new Map(graph.states.map((s) => [s.path.join('/'), s.id]));
  const out = [graph.root];
  const walk = (prefix, v) => {
    if (typeof v === 'string') {
      const id = byPath.get([...prefix, v].join('/'));
      if (id) out.push(id);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [key, inner] of Object.entries(v)) {
      const id = byPath.get([...prefix, key].join('/'));
      if (!id) continue;
      out.push(id);
      walk([...prefix, key], inner);
    }
  };
  walk([], value);
  return out;
}

/**
 * The transition that most plausibly moved a machine from `before` to `after` (active id lists):
 * one leaving a state that was active toward a state that has just become active, preferring the
 * deepest target. Null when nothing matches (the machine restarted, or several steps happened).
 */
export function likelyTransition(graph, before, after) {
  const was = new Set(before);
  const now = new Set(after);
  const entered = after.filter((id) => !was.has(id));
  const depth = new Map(graph.states.map((s) => [s.id, s.path.length]));
  let best = null;
  for (const t of graph.transitions) {
    if (!was.has(t.source) || !now.has(t.target)) continue;
    const fits = entered.includes(t.target) || (t.reenter && t.source === t.target);
    if (!fits) continue;
    if (!best || (depth.get(t.target) ?? 0) > (depth.get(best.target) ?? 0)) best = t;
  }
  return best;
}

export function transitionText(t) {
  return t.guard ? `${t.event} [${t.guard}]` : t.event;
}

function internalText(t) {
  const base = transitionText(t);
  return t.actions.length > 0 ? `${base} / ${t.actions.join(', ')}` : base;
}

function textWidth(text) {
  return Math.ceil(text.length * CHAR_W);
}

/** The elkjs input graph for a machine graph. */
export function elkInput(graph) {
  const childrenOf = new Map();
  for (const s of graph.states) {
    const list = childrenOf.get(s.parent) ?? [];
    list.push(s);
    childrenOf.set(s.parent, list);
  }
  const edges = [];
  const parentOf = new Map(graph.states.map((s) => [s.id, s.parent]));
  const within = (id, ancestor) => {
    for (let at = parentOf.get(id); at; at = parentOf.get(at)) if (at === ancestor) return true;
    return false;
  };
  // A transition declared on a compound state toward one of its own descendants ("from any
  // child") starts at a small `any` marker inside that state, not at its border.
  const anySource = new Set(graph.transitions.filter((t) => within(t.target, t.source)).map((t) => t.source));
  const toNode = (state) => {
    const kids = childrenOf.get(state.id) ?? [];
    const lines = state.internal.map(internalText);
    const header = TITLE_H + lines.length * LINE_H;
    const widest = Math.max(textWidth(state.key) + 2 * PAD_X, ...lines.map((l) => textWidth(l) + 2 * PAD_X), 60);
    if (kids.length === 0) {
      return { id: state.id, width: widest, height: header + 6 };
    }
    const children = kids.map(toNode);
    if (state.initial) {
      const marker = `${state.id}#initial`;
      children.unshift({ id: marker, width: INITIAL_D, height: INITIAL_D });
      edges.push({ id: `${state.id}#initial-edge`, sources: [marker], targets: [state.initial] });
    }
    if (anySource.has(state.id)) children.unshift({ id: `${state.id}#any`, width: ANY_W, height: LINE_H + 4 });
    if (state.type === 'parallel') {
      // Regions have no edges between them, so the layered layout would put them side by side in
      // one very wide row; unseen edges stack them top to bottom instead.
      for (let i = 1; i < kids.length; i++) {
        edges.push({ id: `${state.id}#order${i}`, sources: [kids[i - 1].id], targets: [kids[i].id] });
      }
    }
    // No minimum size here: with INCLUDE_CHILDREN elkjs 0.12 applies a minimum's width to the
    // height too. A compound state is as wide as its children, and the root's header width is
    // enforced when drawing (the root is the canvas).
    return { id: state.id, layoutOptions: { 'elk.padding': `[top=${header + 8},left=12,bottom=12,right=12]` }, children };
  };
  const root = graph.states.find((st) => st.id === graph.root);
  for (const t of graph.transitions) {
    const text = transitionText(t);
    edges.push({
      id: t.id,
      sources: [within(t.target, t.source) ? `${t.source}#any` : t.source],
      targets: [t.target],
      labels: [{ id: `${t.id}#label`, text, width: textWidth(text), height: LINE_H }],
    });
  }
  // The root state is the canvas itself, so its own size never needs a minimum.
  const canvas = root ? toNode(root) : { id: graph.root, children: [] };
  return { ...canvas, layoutOptions: { ...LAYOUT_OPTIONS, ...(canvas.layoutOptions ?? {}) }, edges };
}

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function num(n) {
  return Math.round(n * 10) / 10;
}

/** Styles for a standalone SVG file (the page has its own stylesheet). */
export const STANDALONE_STYLE = `
  .chart { font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  .chart rect.state { fill: #f7f9fc; stroke: #5b6b82; stroke-width: 1.2; }
  .chart rect.state.compound { fill: #eef2f8; }
  .chart rect.state.root { fill: #ffffff; stroke-dasharray: 4 3; }
  .chart rect.state.final { stroke-width: 3; }
  .chart .key { font-weight: 600; fill: #1d2736; }
  .chart .internal { fill: #55637a; }
  .chart .transition path { fill: none; stroke: #7a8aa3; stroke-width: 1.2; }
  .chart .transition text { fill: #3b4a63; }
  .chart .initial { fill: #1d2736; }
  .chart .any rect { fill: #fff; stroke: #7a8aa3; stroke-dasharray: 3 2; }
  .chart .any text { fill: #55637a; }
  .chart marker path { fill: #7a8aa3; }
`;

/**
 * SVG text for a laid-out chart. Every state's rect carries `data-state-id` (the XState id) and
 * every transition's group `data-transition-id`, `data-source`, `data-target` and `data-event`,
 * which is what the page toggles classes on.
 */
export function chartSvg(graph, layout, options = {}) {
  const standalone = options.standalone === true;
  const stateById = new Map(graph.states.map((s) => [s.id, s]));
  const transById = new Map(graph.transitions.map((t) => [t.id, t]));
  const arrow = `${graph.id}-arrow`;
  const rootState = stateById.get(graph.root);
  const headerWidth = rootState ? Math.max(textWidth(`${rootState.key} (machine)`), ...rootState.internal.map((t) => textWidth(internalText(t)))) + 2 * PAD_X : 0;
  const canvasWidth = Math.max(layout.width ?? 0, headerWidth);
  const width = num(canvasWidth + 4);
  const height = num((layout.height ?? 0) + 4);
  const out = [];
  out.push(
    `<svg ${standalone ? 'xmlns="http://www.w3.org/2000/svg" ' : ''}class="chart" data-machine="${esc(graph.id)}" viewBox="-2 -2 ${width} ${height}" width="${width}" height="${height}">`,
  );
  if (standalone) out.push(`<style>${STANDALONE_STYLE}</style>`);
  out.push(
    `<defs><marker id="${esc(arrow)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`,
    `<marker id="${esc(arrow)}-last" class="last" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>`,
  );
  const drawNode = (node) => {
    const state = stateById.get(node.id);
    if (!state) {
      if (node.id.endsWith('#initial')) {
        const r = (node.width ?? INITIAL_D) / 2;
        out.push(`<circle class="initial" cx="${num(node.x + r)}" cy="${num(node.y + r)}" r="${num(r)}"/>`);
      } else if (node.id.endsWith('#any')) {
        out.push(
          `<g class="any"><title>transitions taken from any state inside</title><rect x="${num(node.x)}" y="${num(node.y)}" width="${num(node.width)}" height="${num(node.height)}" rx="9"/>`,
          `<text x="${num(node.x + 7)}" y="${num(node.y + 13)}">any</text></g>`,
        );
      }
      return;
    }
    const isRoot = state.parent === null;
    const classes = ['state', state.type, isRoot ? 'root' : ''].filter(Boolean).join(' ');
    const rx = state.type === 'atomic' || state.type === 'final' ? 8 : 4;
    out.push(`<g class="state-group" data-state-path="${esc(state.path.join('.'))}">`);
    if (state.description) out.push(`<title>${esc(state.description)}</title>`);
    out.push(
      `<rect class="${classes}" data-state-id="${esc(state.id)}" x="${num(node.x)}" y="${num(node.y)}" width="${num(node.width)}" height="${num(node.height)}" rx="${rx}"/>`,
    );
    out.push(`<text class="key" x="${num(node.x + PAD_X)}" y="${num(node.y + 15)}">${esc(isRoot ? `${state.key} (machine)` : state.key)}</text>`);
    state.internal.forEach((t, i) => {
      out.push(`<text class="internal" x="${num(node.x + PAD_X)}" y="${num(node.y + TITLE_H + 8 + i * LINE_H)}">${esc(internalText(t))}</text>`);
    });
    out.push('</g>');
    for (const child of node.children ?? []) drawNode(child);
  };
  drawNode({ ...layout, x: 0, y: 0, width: canvasWidth, children: layout.children ?? [] });
  for (const edge of layout.edges ?? []) {
    const t = transById.get(edge.id);
    const points = [];
    for (const section of edge.sections ?? []) {
      points.push(section.startPoint, ...(section.bendPoints ?? []), section.endPoint);
    }
    if (points.length < 2) continue;
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(p.x)},${num(p.y)}`).join(' ');
    if (!t) {
      if (!edge.id.endsWith('#initial-edge')) continue;
      out.push(`<path class="initial-edge" d="${d}" fill="none" stroke="#1d2736" marker-end="url(#${esc(arrow)})"/>`);
      continue;
    }
    out.push(
      `<g class="transition" data-transition-id="${esc(t.id)}" data-source="${esc(t.source)}" data-target="${esc(t.target)}" data-event="${esc(t.event)}">`,
    );
    if (t.actions.length > 0) out.push(`<title>${esc(`${transitionText(t)} / ${t.actions.join(', ')}`)}</title>`);
    out.push(`<path d="${d}" marker-end="url(#${esc(arrow)})"/>`);
    for (const label of edge.labels ?? []) {
      out.push(`<text x="${num(label.x)}" y="${num(label.y + LINE_H - 3)}">${esc(label.text)}</text>`);
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Lay out and draw in one call, with an elkjs instance the caller made (page or Node). */
export async function drawChart(elk, graph, options = {}) {
  const layout = await elk.layout(elkInput(graph));
  return chartSvg(graph, layout, options);
}
