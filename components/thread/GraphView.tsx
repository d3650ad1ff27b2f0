"use client";
import dagre from "@dagrejs/dagre";
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, useReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import { memo, useEffect, useMemo, useRef } from "react";
import { PauseIcon } from "../ui/icons";
import type { GraphDetail } from "@/lib/client/types";

const W = 150;
const H = 38;

type NodeData = {
  loops?: boolean;
  label: string;
  role: "current" | "next" | "interrupt" | "failed" | "none";
  terminal: boolean;
  breakpoint: boolean;
  description?: string;
};

const ROLE_CLS: Record<NodeData["role"], string> = {
  current: "bg-indigo-600 text-white ring-indigo-700",
  next: "bg-amber-100 text-amber-900 ring-amber-500 ring-2",
  interrupt: "bg-amber-400 text-amber-950 ring-amber-600 ring-2",
  failed: "bg-rose-100 text-rose-900 ring-rose-500 ring-2",
  none: "bg-white text-slate-800 ring-slate-300",
};

const StepNode = memo(function StepNode({ id, data }: NodeProps<Node<NodeData>>) {
  const d = data;
  return (
    <div
      data-testid={`graph-node-${id}`}
      data-role={d.role}
      title={d.description}
      className={`flex items-center justify-center gap-1 rounded-md px-2 text-xs font-medium shadow-sm ring-1 ${d.terminal ? "rounded-full bg-slate-800 text-white ring-slate-800" : ROLE_CLS[d.role]}`}
      style={{ width: d.terminal ? 70 : W, height: H }}
    >
      <Handle type="target" position={Position.Top} className="!h-1.5 !w-1.5 !border-0 !bg-slate-400" />
      {d.breakpoint && (
        <span title="Static interrupt (breakpoint)">
          <PauseIcon size={10} />
        </span>
      )}
      <span className="truncate">{d.label}</span>
      {d.loops && (
        <span title="Loops back to itself" className="rounded bg-slate-200 px-1 text-[9px] font-semibold uppercase text-slate-600">
          loop
        </span>
      )}
      <Handle type="source" position={Position.Bottom} className="!h-1.5 !w-1.5 !border-0 !bg-slate-400" />
      {/* Back edges (to a node drawn above) leave and enter on one side, so they run beside the graph. */}
      {(["left", "right"] as const).map((side) => (
        <span key={side}>
          <Handle
            id={`back-out-${side}`}
            type="source"
            position={side === "left" ? Position.Left : Position.Right}
            className="!h-1 !w-1 !border-0 !bg-transparent"
          />
          <Handle
            id={`back-in-${side}`}
            type="target"
            position={side === "left" ? Position.Left : Position.Right}
            className="!h-1 !w-1 !border-0 !bg-transparent"
          />
        </span>
      ))}
    </div>
  );
});

const nodeTypes = { step: StepNode };

/** Keeps the whole graph in view when its box changes size (panels open and close around it). */
function FitOnResize({ box }: { box: React.RefObject<HTMLDivElement | null> }) {
  const flow = useReactFlow();
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => requestAnimationFrame(() => flow.fitView({ padding: 0.25, maxZoom: 1.1 })));
    ro.observe(el);
    return () => ro.disconnect();
  }, [box, flow]);
  return null;
}

function layout(graph: GraphDetail) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 42 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set<string>(graph.nodes.map((n) => n.id));
  for (const e of graph.edges) {
    ids.add(e.source);
    ids.add(e.target);
  }
  for (const id of ids) g.setNode(id, { width: id.startsWith("__") ? 70 : W, height: H });
  for (const e of graph.edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const pos = new Map<string, { x: number; y: number }>();
  for (const id of ids) {
    const n = g.node(id);
    pos.set(id, { x: n.x - (id.startsWith("__") ? 35 : W / 2), y: n.y - H / 2 });
  }
  return { ids: [...ids], pos };
}

/**
 * The graph's nodes and edges (laid out by dagre, drawn by React Flow), with the selected checkpoint's node
 * filled and its next nodes outlined; conditional edges are dashed.
 */
export function GraphView({
  graph,
  current,
  next,
  interrupted,
  failed = [],
}: {
  graph: GraphDetail;
  current: string[];
  next: string[];
  interrupted: string[];
  failed?: string[];
}) {
  const { ids, pos } = useMemo(() => layout(graph), [graph]);
  const descriptions = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n.description])), [graph]);
  const nodes: Node<NodeData>[] = useMemo(
    () =>
      ids.map((id) => {
        const terminal = id === "__start__" || id === "__end__";
        const role: NodeData["role"] = failed.includes(id)
          ? "failed"
          : interrupted.includes(id)
            ? "interrupt"
            : current.includes(id)
              ? "current"
              : next.includes(id)
                ? "next"
                : "none";
        return {
          id,
          type: "step",
          position: pos.get(id)!,
          data: {
            label: terminal ? (id === "__start__" ? "START" : "END") : id,
            loops: graph.edges.some((e) => e.source === id && e.target === id),
            role,
            terminal,
            breakpoint: graph.interruptBefore.includes(id) || graph.interruptAfter.includes(id),
            description: descriptions.get(id),
          },
          draggable: false,
          connectable: false,
        };
      }),
    [ids, pos, current, next, interrupted, failed, graph, descriptions],
  );
  const edges: Edge[] = useMemo(
    () =>
      // Self-loops are shown as the node's "loop" badge; back edges are routed around the right side.
      graph.edges.flatMap((e, i) => {
        if (e.source === e.target) return [];
        const [from, to] = [pos.get(e.source), pos.get(e.target)];
        const back = !!from && !!to && to.y <= from.y;
        // Around the side the source already leans to: a node left of its target goes round the left.
        const side = from && to && from.x < to.x ? "left" : "right";
        return [
          {
            id: `${e.source}->${e.target}-${i}`,
            source: e.source,
            target: e.target,
            ...(back && {
              sourceHandle: `back-out-${side}`,
              targetHandle: `back-in-${side}`,
              type: "smoothstep",
              pathOptions: { offset: 18, borderRadius: 10 },
            }),
            label: e.label,
            animated: current.includes(e.source) && next.includes(e.target),
            style: {
              strokeDasharray: e.conditional ? "5 4" : undefined,
              stroke: current.includes(e.source) && next.includes(e.target) ? "#4f46e5" : "#94a3b8",
            },
            labelStyle: { fontSize: 10, fill: "#475569" },
            labelBgStyle: { fill: "#f8fafc" },
            markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14, color: "#94a3b8" },
          },
        ];
      }),
    [graph, current, next, pos],
  );
  const box = useRef<HTMLDivElement>(null);
  return (
    <div ref={box} data-testid="graph-view" className="h-full min-h-[260px] w-full">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        // The drawing is a picture of the graph, not a control: its nodes and edges are not Tab stops (the
        // timeline and the panels carry the same information and actions). The zoom buttons stay reachable.
        nodesFocusable={false}
        edgesFocusable={false}
        proOptions={{ hideAttribution: true }}
        minZoom={0.3}
      >
        <FitOnResize box={box} />
        <Background gap={16} color="#e2e8f0" />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

const LEGEND: [swatch: string, label: string][] = [
  ["bg-indigo-600", "ran at this checkpoint"],
  ["bg-amber-100 ring-2 ring-amber-500", "next"],
  ["bg-amber-400", "waiting for a human"],
  ["bg-rose-100 ring-2 ring-rose-500", "failed"],
];

export function GraphLegend() {
  return (
    <div className="flex flex-wrap gap-3 px-3 py-1.5 text-[11px] text-slate-500">
      {LEGEND.map(([swatch, label]) => (
        <span key={label} className="flex items-center gap-1">
          <span className={`h-2.5 w-2.5 rounded-sm ${swatch}`} /> {label}
        </span>
      ))}
    </div>
  );
}
