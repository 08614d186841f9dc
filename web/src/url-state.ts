// The page's state in the URL fragment (#tab=train&arch=nyu&lr=0.05…), so a configuration can be
// shared by link, and editing the fragment of an open page applies it. Values that name
// something come from the library's registries; anything unknown falls back to its default.

import { nn, optim, training } from 'handgrad';
import type { BackwardSettings } from './backward-panel.js';
import type { DreamSettings } from './protocol.js';
import { DEFAULT_SETTINGS, type NumberField, type TrainSettings } from './settings.js';
import type { GraphInputs } from './theory-panel.js';

export type Tab = 'train' | 'backward' | 'theory' | 'dream';
export const TABS: readonly Tab[] = ['train', 'backward', 'theory', 'dream'];

/** How many test images an evaluation while training scores ('all': the whole test split). */
export const EVAL_SAMPLES = ['all', '1000', '500', '200', '100'] as const;
export type EvalSamples = (typeof EVAL_SAMPLES)[number];

/** The test images a choice scores: a count, or null for the whole split. */
export const evalCount = (e: EvalSamples): number | null => (e === 'all' ? null : Number(e));

export interface PageState {
  tab: Tab;
  train: TrainSettings;
  evalSamples: EvalSamples;
  bw: BackwardSettings;
  graph: GraphInputs;
  dream: DreamSettings;
}

export const DREAM_DEFAULTS: DreamSettings = {
  target: 3, steps: 100, lr: 0.05, jitter: 1, blurEvery: 4, blurSigma: 0.5, weightDecay: 0.002, gradBlurSigma: 0.5, octaves: 1, clip: 0, clamp: true,
};
export const DREAM_KEYS = ['target', 'steps', 'lr', 'jitter', 'blurEvery', 'blurSigma', 'weightDecay', 'gradBlurSigma', 'octaves', 'clip'] as const;

const BW_DEFAULTS: BackwardSettings = { f: '3relu', g: 'identity', loss: 'mse', seed: 0 };
const BW_ACTIVATIONS = ['relu', '3relu', 'tanh', 'sigmoid', 'identity'] as const;
const GRAPH_DEFAULTS: GraphInputs = { x: 1, y: 2, z: 3 };

/** The state a fragment describes ('' or '#…'). */
export function readState(fragment: string): PageState {
  const q = new URLSearchParams(fragment.replace(/^#/, ''));
  const num = (k: string, d: number): number => {
    const v = q.get(k);
    return v !== null && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : d;
  };
  const pick = <T extends string>(k: string, allowed: readonly T[], d: T): T => allowed.find((a) => a === q.get(k)) ?? d;
  const t = DEFAULT_SETTINGS;
  // a number field's URL key is its name; the form checks the value as if it were typed
  const n = (field: NumberField): number => num(field, t[field]);
  return {
    tab: pick('tab', TABS, 'train'),
    train: {
      hidden: n('hidden'), lr: n('lr'), momentum: n('momentum'), dropout: n('dropout'), batch: n('batch'), seed: n('seed'),
      arch: pick('arch', training.MODEL_KIND_NAMES, t.arch), f: pick('f', nn.ACTIVATION_NAMES, t.f), g: pick('g', ['identity', 'sigmoid'], t.g),
      optimizer: pick('opt', optim.OPTIMIZER_NAMES, t.optimizer), dropoutMode: pick('dmode', nn.DROPOUT_MODES, t.dropoutMode),
      normalize: pick('norm', training.NORMALIZE_MODES, t.normalize),
    },
    evalSamples: pick('eval', EVAL_SAMPLES, 'all'),
    bw: {
      f: pick('bf', BW_ACTIVATIONS, BW_DEFAULTS.f), g: pick('bg', BW_ACTIVATIONS, BW_DEFAULTS.g),
      loss: pick('bloss', ['mse', 'bce'], BW_DEFAULTS.loss), seed: Math.round(num('bseed', BW_DEFAULTS.seed)),
    },
    graph: { x: num('gx', GRAPH_DEFAULTS.x), y: num('gy', GRAPH_DEFAULTS.y), z: num('gz', GRAPH_DEFAULTS.z) },
    dream: {
      ...DREAM_DEFAULTS,
      ...Object.fromEntries(DREAM_KEYS.map((k) => [k, num(`d${k}`, DREAM_DEFAULTS[k])])),
      clamp: q.has('dclamp') ? q.get('dclamp') === '1' : DREAM_DEFAULTS.clamp,
    },
  };
}

/** The fragment of a state ('#…'). */
export function fragmentOf(s: PageState): string {
  const t = s.train;
  const q = new URLSearchParams({
    tab: s.tab, arch: t.arch, hidden: String(t.hidden), f: t.f, g: t.g, opt: t.optimizer, lr: String(t.lr), momentum: String(t.momentum),
    dropout: String(t.dropout), dmode: t.dropoutMode, batch: String(t.batch), seed: String(t.seed), norm: t.normalize, eval: s.evalSamples,
    bf: s.bw.f, bg: s.bw.g, bloss: s.bw.loss, bseed: String(s.bw.seed), gx: String(s.graph.x), gy: String(s.graph.y), gz: String(s.graph.z),
    ...Object.fromEntries(DREAM_KEYS.map((k) => [`d${k}`, String(s.dream[k])])), dclamp: s.dream.clamp ? '1' : '0',
  });
  return `#${q}`;
}
