// The computation graph of NYU 1.2(b):  a = xy + z,  b = a(x + x),  w = ab + b,
// evaluated forward node by node and differentiated by a hand-written reverse pass over the
// same nodes (each node adds its local derivative times its output's gradient into its inputs:
// the chain rule as accumulation, exactly what the layers do).
//
// Closed form, for the check: with a = xy + z,  b = 2xa,  w = ab + b = 2x·a² + 2x·a, so
//   ∂w/∂a = 2x(2a + 1) (holding x fixed), ∂a/∂x = y, ∂a/∂y = x, ∂a/∂z = 1, and
//   dw/dx = 2a² + 2a + 2x(2a + 1)·y,   dw/dy = 2x(2a + 1)·x,   dw/dz = 2x(2a + 1).

import { check, type TheoryCheck } from './check.js';

/** What a node of the computation graph computes: an input, a product or a sum of its two inputs. */
export type GraphOp = 'input' | 'mul' | 'add';

/** A node of the computation graph, with its forward value and its gradient dw/d(node). */
export interface GraphNode {
  /** The node's name: 'x', 'a', 'w', …. */
  id: string;
  /** What it computes. */
  op: GraphOp;
  /** Ids of the inputs (two for mul/add; the same id twice for x + x). */
  inputs: string[];
  /** The expression this node computes, for display. */
  label: string;
  /** Its value in the forward pass. */
  value: number;
  /** dw/d(node), filled by the reverse pass. */
  grad: number;
}

/** An edge from an input to the node that uses it. */
export interface GraphEdge {
  /** The input node's id. */
  from: string;
  /** The consuming node's id. */
  to: string;
  /** The local derivative ∂to/∂from along this edge (per edge, so x + x has two edges of 1). */
  local: number;
}

/**
 * The graph a = xy + z, b = a(x + x), w = ab + b evaluated forward, differentiated by a reverse pass,
 * and checked against the closed form and finite differences.
 */
export interface ComputationGraph {
  /** The nodes in topological order. */
  nodes: GraphNode[];
  /** Every edge, with its local derivative. */
  edges: GraphEdge[];
  /** The output w. */
  w: number;
  /** dw/dx, dw/dy, dw/dz from the reverse pass. */
  grads: { x: number; y: number; z: number };
  /** w and its derivatives from the closed form. */
  closedForm: { w: number; x: number; y: number; z: number };
  /** The derivatives by central differences. */
  finiteDifference: { x: number; y: number; z: number };
  /** Reverse pass against the closed form and the finite differences. */
  checks: TheoryCheck[];
}

// The graph, in topological order. Intermediate names follow the shapes drawn in class.
const DEFINITION: { id: string; op: GraphOp; inputs: string[]; label: string }[] = [
  { id: 'x', op: 'input', inputs: [], label: 'x' },
  { id: 'y', op: 'input', inputs: [], label: 'y' },
  { id: 'z', op: 'input', inputs: [], label: 'z' },
  { id: 'xy', op: 'mul', inputs: ['x', 'y'], label: 'x·y' },
  { id: 'a', op: 'add', inputs: ['xy', 'z'], label: 'a = xy + z' },
  { id: 's', op: 'add', inputs: ['x', 'x'], label: 'x + x' },
  { id: 'b', op: 'mul', inputs: ['a', 's'], label: 'b = a(x + x)' },
  { id: 'ab', op: 'mul', inputs: ['a', 'b'], label: 'a·b' },
  { id: 'w', op: 'add', inputs: ['ab', 'b'], label: 'w = ab + b' },
];

function forwardValues(x: number, y: number, z: number): Map<string, number> {
  const v = new Map<string, number>([['x', x], ['y', y], ['z', z]]);
  for (const n of DEFINITION) {
    if (n.op === 'input') continue;
    const [p, q] = n.inputs.map((i) => v.get(i)!) as [number, number];
    v.set(n.id, n.op === 'mul' ? p * q : p + q);
  }
  return v;
}

/** Forward values, reverse-mode gradients and their checks at (x, y, z). */
export function computationGraph(x: number, y: number, z: number): ComputationGraph {
  const values = forwardValues(x, y, z);
  const nodes: GraphNode[] = DEFINITION.map((d) => ({ ...d, inputs: [...d.inputs], value: values.get(d.id)!, grad: 0 }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges: GraphEdge[] = [];
  for (const n of nodes) {
    if (n.op === 'input') continue;
    const [p, q] = n.inputs.map((i) => byId.get(i)!) as [GraphNode, GraphNode];
    // mul: ∂(pq)/∂p = q, ∂(pq)/∂q = p;  add: both 1
    edges.push({ from: p.id, to: n.id, local: n.op === 'mul' ? q.value : 1 });
    edges.push({ from: q.id, to: n.id, local: n.op === 'mul' ? p.value : 1 });
  }
  // Reverse pass: seed dw/dw = 1, visit nodes in reverse topological order, and push each
  // node's gradient down its incoming edges (accumulating: x feeds three edges).
  byId.get('w')!.grad = 1;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    for (const e of edges) if (e.to === n.id) byId.get(e.from)!.grad += e.local * n.grad;
  }
  const grads = { x: byId.get('x')!.grad, y: byId.get('y')!.grad, z: byId.get('z')!.grad };

  const a = x * y + z;
  const closedForm = {
    w: 2 * x * a * a + 2 * x * a,
    x: 2 * a * a + 2 * a + 2 * x * (2 * a + 1) * y,
    y: 2 * x * (2 * a + 1) * x,
    z: 2 * x * (2 * a + 1),
  };
  const h = 1e-6;
  const wAt = (xx: number, yy: number, zz: number): number => forwardValues(xx, yy, zz).get('w')!;
  const finiteDifference = {
    x: (wAt(x + h, y, z) - wAt(x - h, y, z)) / (2 * h),
    y: (wAt(x, y + h, z) - wAt(x, y - h, z)) / (2 * h),
    z: (wAt(x, y, z + h) - wAt(x, y, z - h)) / (2 * h),
  };
  const w = byId.get('w')!.value;
  const scale = 1 + Math.abs(closedForm.w) + Math.abs(closedForm.x) + Math.abs(closedForm.y) + Math.abs(closedForm.z);
  const rel = (p: number, q: number): number => Math.abs(p - q) / scale;
  const checks = [
    check('w forward vs closed form 2x·a² + 2x·a', rel(w, closedForm.w), 1e-12),
    check('reverse pass vs closed form (dw/dx, dw/dy, dw/dz)', Math.max(rel(grads.x, closedForm.x), rel(grads.y, closedForm.y), rel(grads.z, closedForm.z)), 1e-12),
    check('reverse pass vs central differences', Math.max(rel(grads.x, finiteDifference.x), rel(grads.y, finiteDifference.y), rel(grads.z, finiteDifference.z)), 1e-6),
  ];
  return { nodes, edges, w, grads, closedForm, finiteDifference, checks };
}
