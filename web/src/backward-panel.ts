// The "Backward, visible" panel: the NYU two-layer net's forward table and gradient table for
// one sample, numbers from the layers; hovering (or focusing) a row shows its shapes and formula
// in a tip that stays at the bottom of the window while the tables scroll.

import { theory } from 'handgrad';
import { checksHtml } from './theory-panel.js';

export interface BackwardSettings { f: theory.TwoLayerActivation; g: theory.TwoLayerActivation; loss: 'mse' | 'bce'; seed: number }

const vec = (v: number[], cols?: number): string => {
  const f = (x: number): string => (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(4));
  if (!cols || cols >= v.length) return `[${v.map(f).join(', ')}]`;
  const rows: string[] = [];
  for (let i = 0; i < v.length; i += cols) rows.push(`[${v.slice(i, i + cols).map(f).join(', ')}]`);
  return rows.join('<br>');
};
const shape = (s: number[]): string => (s.length ? `(${s.join(' × ')})` : 'scalar');

export function renderBackward(container: HTMLElement, tip: HTMLElement, s: BackwardSettings): void {
  tip.textContent = '';
  if (s.loss === 'bce' && s.g !== 'sigmoid') {
    container.innerHTML = '<p class="status error" role="alert">BCE takes outputs in [0, 1]: choose g = σ for it, or the MSE loss.</p>';
    return;
  }
  let t: theory.TwoLayerTables;
  try {
    t = theory.twoLayerTables({ f: s.f, g: s.g, loss: s.loss, seed: s.seed });
  } catch (e) {
    container.innerHTML = `<p class="status error" role="alert">The tables could not be computed for these settings (${escapeHtml((e as Error).message)}).</p>`;
    return;
  }
  const fwd = t.forward.map((r, i) => `<tr class="hoverable" tabindex="0" data-tip="${r.layer}: ${r.formula}; input ${shape(r.inputShape)} → output ${shape(r.outputShape)}" data-row="${i}">
      <th>${r.layer}</th><td>${vec(r.input)}</td><td>${vec(r.output)}</td></tr>`).join('');
  const grads = t.gradients.map((r) => `<tr class="hoverable" tabindex="0" data-tip="∂C/∂${r.parameter} = ${r.formula}; shape ${shape(r.shape)} (PyTorch layout: weight is (out, in))">
      <th>${r.parameter}</th><td>${vec(r.gradient, r.shape.length === 2 ? r.shape[1] : undefined)}</td><td>${vec(r.expected, r.shape.length === 2 ? r.shape[1] : undefined)}</td></tr>`).join('');
  container.innerHTML = `
    <section class="theory-item" data-theory="two-layer" data-passed="${t.checks.every((c) => c.passed)}">
      <p>x = ${vec(t.x)}, target y = ${vec(t.y)}, loss C = ${t.lossValue.toFixed(6)}</p>
      <h2>Forward table</h2>
      <div class="scroll"><table id="forward-table"><thead><tr><th>layer</th><th>input</th><th>output</th></tr></thead><tbody>${fwd}</tbody></table></div>
      <h2>Gradient table</h2>
      <div class="scroll"><table id="gradient-table"><thead><tr><th>parameter</th><th>gradient (layers' backward)</th><th>formula</th></tr></thead><tbody>${grads}</tbody></table></div>
      ${checksHtml(t.checks)}
    </section>`;
  const show = (e: Event): void => {
    const row = e.target instanceof Element ? e.target.closest<HTMLElement>('tr[data-tip]') : null;
    if (row?.dataset.tip) tip.textContent = row.dataset.tip;
  };
  container.onmouseover = show;
  if (focusListener) container.removeEventListener('focusin', focusListener);
  focusListener = show;
  container.addEventListener('focusin', show);
}

/** The focus listener of the last render (a render replaces it). */
let focusListener: ((e: Event) => void) | null = null;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
