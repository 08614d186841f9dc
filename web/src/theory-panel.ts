// The Theory panel: every computation of handgrad's `theory` namespace, with its
// numeric checks shown as pass/fail. Each item is a <section data-theory="…"> whose checks carry
// data-passed, which the browser tests read.

import { theory } from 'handgrad';
import { lineChart, type Series } from './chart.js';

const fmt = (v: number, d = 4): string => (Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(2) : v.toFixed(d));
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function checksHtml(checks: theory.TheoryCheck[]): string {
  return `<ul class="checks">${checks.map((c) => `<li class="check ${c.passed ? 'pass' : 'fail'}" data-passed="${c.passed}">${c.passed ? '✓ pass' : '✗ FAIL'} — ${esc(c.name)}: error ${c.error.toExponential(2)} (tolerance ${c.tolerance === 0 ? '0' : c.tolerance.toExponential(0)})</li>`).join('')}</ul>`;
}

const matrix = (rows: number[][], d = 4): string =>
  `<table><tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${fmt(v, d)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

function item(id: string, title: string, body: string, checks: theory.TheoryCheck[]): HTMLElement {
  const s = document.createElement('section');
  s.className = 'theory-item';
  s.dataset.theory = id;
  s.dataset.passed = String(checks.every((c) => c.passed));
  s.innerHTML = `<h2>${title}</h2>${body}${checksHtml(checks)}`;
  return s;
}

export interface GraphInputs { x: number; y: number; z: number }

/** The drawing and tables of the graph at the current (x, y, z) (re-rendered on change). */
function graphResult(g: theory.ComputationGraph): string {
  // A fixed layout of the nine nodes; edges labelled with their local derivative.
  const pos: Record<string, [number, number]> = {
    x: [50, 80], y: [50, 190], z: [50, 300], xy: [200, 140], s: [200, 40], a: [330, 240], b: [470, 80], ab: [560, 220], w: [670, 140],
  };
  const edges = g.edges.map((e, i) => {
    const [x1, y1] = pos[e.from]!, [x2, y2] = pos[e.to]!;
    const bend = e.from === 'x' && e.to === 's' ? (g.edges.findIndex((f) => f.from === 'x' && f.to === 's') === i ? -14 : 14) : 0;
    const mx = (x1 + x2) / 2 + bend, my = (y1 + y2) / 2 + bend;
    // stop the arrow at the target's border (~38 px before its centre, along the curve's end tangent)
    const len = Math.hypot(x2 - mx, y2 - my) || 1;
    const ex = x2 - ((x2 - mx) / len) * 38, ey = y2 - ((y2 - my) / len) * 38;
    return `<path d="M${x1},${y1} Q${mx},${my} ${ex.toFixed(1)},${ey.toFixed(1)}" fill="none" stroke="#777" stroke-width="1.4" marker-end="url(#arrow)"/>` +
      `<text x="${mx}" y="${my - 4}" font-size="12" fill="#5a3e00" text-anchor="middle">∂=${fmt(e.local, 2)}</text>`;
  }).join('');
  const nodes = g.nodes.map((n) => {
    const [x, y] = pos[n.id]!;
    const shape = n.op === 'input' ? `<circle cx="${x}" cy="${y}" r="31" fill="#e8f0fe" stroke="#0b57d0"/>` : `<rect x="${x - 38}" y="${y - 28}" width="76" height="56" rx="8" fill="#fff7e6" stroke="#b06000"/>`;
    const op = n.op === 'mul' ? '×' : n.op === 'add' ? '+' : n.id;
    return `${shape}<text x="${x}" y="${y - 10}" text-anchor="middle" font-size="13" font-weight="600">${op} ${n.op === 'input' ? '' : esc(n.id)}</text>` +
      `<text x="${x}" y="${y + 5}" text-anchor="middle" font-size="12">v=${fmt(n.value, 3)}</text>` +
      `<text x="${x}" y="${y + 19}" text-anchor="middle" font-size="12" fill="#0a6b2b">g=${fmt(n.grad, 3)}</text>`;
  }).join('');
  // never drawn narrower than its 720 units (its text stays at 12 px and more): a phone scrolls it sideways
  const svg = `<div class="scroll"><svg class="graph-svg" viewBox="0 0 720 340" role="img" aria-label="computation graph of w with values v and gradients g = dw/d(node)">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>
    ${edges}${nodes}</svg></div>`;
  const rows = g.nodes.map((n) => `<tr><th>${esc(n.label)}</th><td>${fmt(n.value)}</td><td>${fmt(n.grad)}</td></tr>`).join('');
  return `${svg}
    <div class="scroll"><table><thead><tr><th>node</th><th>value</th><th>dw/d(node)</th></tr></thead><tbody>${rows}</tbody></table></div>
    <p class="formula">closed form: w = 2x·a² + 2x·a = ${fmt(g.closedForm.w)}; dw/dx = 2a² + 2a + 2xy(2a + 1) = ${fmt(g.closedForm.x)},
      dw/dy = 2x²(2a + 1) = ${fmt(g.closedForm.y)}, dw/dz = 2x(2a + 1) = ${fmt(g.closedForm.z)}</p>
    ${checksHtml(g.checks)}`;
}

export function renderGraph(container: HTMLElement, v: GraphInputs, onChange: (v: GraphInputs) => void): void {
  const s = document.createElement('section');
  s.className = 'theory-item';
  s.dataset.theory = 'graph';
  s.innerHTML = `<h2>Computation graph (NYU 1.2 b)</h2>
    <p>a = xy + z, b = a(x + x), w = ab + b. Forward: each node's value v. Reverse pass: seed dw/dw = 1 and push
    each node's gradient g down its edges times the local derivative ∂, adding where paths meet (x feeds three edges).</p>
    <div class="inline-controls" id="graph-controls">
      <label>x <input id="gx" type="number" step="any" value="${v.x}"></label>
      <label>y <input id="gy" type="number" step="any" value="${v.y}"></label>
      <label>z <input id="gz" type="number" step="any" value="${v.z}"></label>
    </div>
    <div class="graph-result"></div>`;
  container.appendChild(s);
  const result = s.querySelector<HTMLElement>('.graph-result')!;
  const draw = (at: GraphInputs): void => {
    const g = theory.computationGraph(at.x, at.y, at.z);
    result.innerHTML = graphResult(g);
    s.dataset.passed = String(g.checks.every((c) => c.passed));
  };
  draw(v);
  const inputs = (['x', 'y', 'z'] as const).map((k) => s.querySelector<HTMLInputElement>(`#g${k}`)!);
  for (const input of inputs) {
    input.addEventListener('change', () => {
      const [x, y, z] = inputs.map((i) => Number(i.value)) as [number, number, number];
      if (![x, y, z].every(Number.isFinite)) return;
      draw({ x, y, z });
      onChange({ x, y, z });
    });
  }
}

export function renderTheory(container: HTMLElement, graph: GraphInputs, onGraphChange: (v: GraphInputs) => void): theory.TheoryCheck[] {
  container.replaceChildren();
  const all: theory.TheoryCheck[] = [];

  // activation curves
  const curves = theory.activationCurves();
  const act = item('activations', 'Activations and their derivatives, by the layers\' own backward (NYU 1.2 c)',
    `<p>f(x) by <code>forward</code>, f′(x) by <code>backward</code> with dy = 1, checked against closed forms and central differences.</p><div class="curves"></div>`,
    curves.flatMap((c) => c.checks));
  const grid = act.querySelector<HTMLElement>('.curves')!;
  // the charts are drawn at the width they are shown (so their text keeps its size on a phone),
  // once in the page and again whenever the grid's width changes
  container.appendChild(act);
  const draws = curves.map((c) => {
    const fig = document.createElement('figure');
    fig.innerHTML = `<figcaption><b>${c.name}</b>: <span class="formula">${esc(c.formula)}</span>; ′: <span class="formula">${esc(c.derivativeFormula)}</span></figcaption>`;
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('role', 'img');
    svg.setAttribute('class', 'chart');
    svg.setAttribute('aria-label', `${c.name} and its derivative`);
    fig.appendChild(svg);
    grid.appendChild(fig);
    const series: Series[] = [
      { name: 'f(x)', color: '#0b57d0', xs: c.xs, ys: c.ys },
      { name: 'f′(x) (backward)', color: '#c2410c', xs: c.xs, ys: c.dys, dashed: true },
    ];
    return (): void => lineChart(svg, series, { xLabel: 'x', yLabel: '', height: 200 });
  });
  let width = -1;
  const redraw = (): void => {
    if (grid.clientWidth === width || grid.clientWidth === 0) return;
    width = grid.clientWidth;
    for (const draw of draws) draw();
  };
  redraw();
  new ResizeObserver(redraw).observe(grid);
  all.push(...curves.flatMap((c) => c.checks));

  // graph
  renderGraph(container, graph, onGraphChange);
  all.push(...theory.computationGraph(graph.x, graph.y, graph.z).checks);

  // XOR
  const xor = theory.xorTheory();
  const net = xor.network;
  container.appendChild(item('xor', 'XOR: no perceptron, but four step neurons (CMU problem 1)', `
    <p>Points (1,0), (0,1) → 1 and (1,1), (0,0) → 0, step σ(v) = 1 if v ≥ 0 else 0. A perceptron σ(w₁x₁ + w₂x₂ + b) would need:</p>
    <ul>${xor.inequalities.map((q) => `<li class="formula">${esc(q.text)}  ← x = (${q.point.join(', ')}), y = ${q.label}</li>`).join('')}</ul>
    <p class="formula">${xor.contradiction.map(esc).join('<br>')}</p>
    <p>Search: ${xor.search.tried.toLocaleString('en')} perceptrons tried (a 41³ grid on [−2, 2]³ and 20,000 random draws):
      <b>${xor.search.found}</b> fit all four; the best fits ${xor.search.bestCorrect} of 4.</p>
    <p>Four step neurons (hidden Linear(2 → 4) of the library, then the step; output Σ aⱼhⱼ): every neuron projects on (1, 2),
      thresholds between the sorted projections, output weights a = (${net.outputWeight.join(', ')}).</p>
    <div class="scroll"><table><thead><tr><th>x</th><th>h (4 neurons)</th><th>output</th><th>XOR</th></tr></thead><tbody>
      ${theory.XOR_POINTS.map((p, i) => `<tr><td>(${p.join(', ')})</td><td>${net.hidden[i]!.join(' ')}</td><td>${net.outputs[i]}</td><td>${theory.XOR_LABELS[i]}</td></tr>`).join('')}
    </tbody></table></div>
    <p>(The network given as the answer in the assignment's starter code outputs ${xor.seedAnswerOutputs.join(', ')}: it is wrong on (1,1) and (0,0).)</p>`,
  xor.checks));
  all.push(...xor.checks);

  // tanh → sigmoid
  const t32 = theory.tanhSigmoidEquivalence('float32');
  const t64 = theory.tanhSigmoidEquivalence('float64');
  container.appendChild(item('tanh-sigmoid', 'A tanh network as a sigmoid network (CMU 2.5)', `
    <p class="formula">tanh v = 2σ(2v) − 1 ⇒ W₁ = 2U₁, b₁ = 2c₁, W₂ = 2U₂, b₂ = c₂ − U₂·1</p>
    <p>A random Linear(4→8)–Tanh–Linear(8→3) and its converted Linear–Sigmoid–Linear, on ${t32.samples} random inputs:
      max |difference| = ${t32.maxDifference.toExponential(2)} (float32), ${t64.maxDifference.toExponential(2)} (float64).</p>`,
  [...t32.checks, ...t64.checks]));
  all.push(...t32.checks, ...t64.checks);

  // dropout ≡ ridge
  const dr = theory.dropoutRidge();
  container.appendChild(item('dropout-ridge', 'Dropout on linear regression = ridge in expectation (CMU problem 4)', `
    <p class="formula">E_R ‖y − (R⊙X)w‖² = ‖y − pXw‖² + p(1 − p)‖Γw‖², Γ = diag(XᵀX)^½</p>
    <p>X: ${dr.n}×${dr.d}, keep probability p = ${dr.keep}; R⊙X drawn by the library's Dropout in CMU mode, ·w by a bias-free Linear.</p>
    <div class="scroll"><table><tbody>
      <tr><th>Monte Carlo mean (${dr.trials.toLocaleString('en')} draws)</th><td>${fmt(dr.monteCarlo)} ± ${fmt(dr.standardError)} (99.9%: ${fmt(dr.interval[0])} … ${fmt(dr.interval[1])})</td></tr>
      <tr><th>‖y − pXw‖²</th><td>${fmt(dr.fitTerm)}</td></tr>
      <tr><th>p(1 − p)‖Γw‖²</th><td>${fmt(dr.ridgeTerm)}</td></tr>
      <tr><th>formula (sum)</th><td>${fmt(dr.formula)}</td></tr>
    </tbody></table></div>`, dr.checks));
  all.push(...dr.checks);

  // Jacobian
  const j = theory.jacobianOfProduct();
  container.appendChild(item('jacobian', 'Jacobian of x ↦ W₂W₁x (NYU 1.2 e)', `
    <p>Two bias-free Linear layers; row k of the Jacobian is <code>backward(e_k)</code>.</p>
    <div class="inline-controls"><div><b>by backward</b>${matrix(j.byBackward)}</div><div><b>W₂W₁</b>${matrix(j.product)}</div></div>`, j.checks));
  all.push(...j.checks);

  return all;
}
