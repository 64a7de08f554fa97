// Types for chart.js (plain JavaScript so the browser can load it without a build step).
import type { ChartTransition, ChartTransitionLabel, MachineGraph } from './machine-graph.ts';

export interface ElkLike {
  layout(graph: ElkNode): Promise<ElkNode>;
}

export interface ElkNode {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  layoutOptions?: Record<string, string>;
  children?: ElkNode[];
  edges?: ElkEdge[];
}

export interface ElkEdge {
  id: string;
  sources: string[];
  targets: string[];
  labels?: Array<{ id?: string; text: string; width: number; height: number; x?: number; y?: number }>;
  sections?: Array<{ startPoint: { x: number; y: number }; endPoint: { x: number; y: number }; bendPoints?: Array<{ x: number; y: number }> }>;
}

export const LAYOUT_OPTIONS: Record<string, string>;
export const STANDALONE_STYLE: string;
export function activeStateIds(graph: MachineGraph, value: unknown): string[];
export function likelyTransition(graph: MachineGraph, before: readonly string[], after: readonly string[]): ChartTransition | null;
export function transitionText(t: ChartTransitionLabel): string;
export function elkInput(graph: MachineGraph): ElkNode;
export function chartSvg(graph: MachineGraph, layout: ElkNode, options?: { standalone?: boolean }): string;
export function drawChart(elk: ElkLike, graph: MachineGraph, options?: { standalone?: boolean }): Promise<string>;
