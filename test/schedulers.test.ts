// The learning-rate schedulers against torch.optim.lr_scheduler: for every fixture case (made by
// scripts/make_fixtures.py, ≥ 100 steps each), the lr after construction and after every step
// equals PyTorch's to 1e-14 relative (a few ulps: the formulas are PyTorch's, operation for
// operation; V8's cos and glibc's may differ in the last bit). Then the registry (short forms,
// config checks, one-line errors) and state()/loadState() round trips mid-schedule.
import { describe, expect, it } from 'vitest';
import { optim, Tensor } from '../src/index.js';
import { fixture } from './harness.js';

interface ScheduleCase {
  kind: optim.ScheduleName;
  options: Record<string, number | number[] | string | boolean>;
  lrs: number[];
  negateMetrics?: boolean;
}
interface ScheduleFixture {
  baseLr: number;
  steps: number;
  metrics: number[];
  cases: Record<string, ScheduleCase>;
}

const fx = fixture<ScheduleFixture>('schedulers.json');

function sgd(lr = fx.baseLr): optim.SGD {
  const p = { name: 'p', value: new Tensor(new Float64Array(1), [1]), grad: new Tensor(new Float64Array(1), [1]) };
  return new optim.SGD([p], { lr, momentum: 0.9 });
}

/** The scheduler class of a case, built from PyTorch's options (camelCase). */
function build(c: ScheduleCase, opt: optim.Optimizer): optim.LRScheduler {
  const o = c.options;
  const n = (k: string): number | undefined => (typeof o[k] === 'number' ? o[k] : undefined);
  switch (c.kind) {
    case 'step': return new optim.StepLR(opt, { stepSize: n('stepSize')!, gamma: n('gamma') });
    case 'multistep': return new optim.MultiStepLR(opt, { milestones: o.milestones as number[], gamma: n('gamma') });
    case 'exp': return new optim.ExponentialLR(opt, { gamma: n('gamma')! });
    case 'cosine': return new optim.CosineAnnealingLR(opt, { tMax: n('tMax')!, etaMin: n('etaMin') });
    case 'warmup': return new optim.LinearLR(opt, { startFactor: n('startFactor'), endFactor: n('endFactor'), totalIters: n('totalIters') });
    case 'onecycle': return new optim.OneCycleLR(opt, {
      maxLr: n('maxLr')!, totalSteps: n('totalSteps')!, pctStart: n('pctStart'), divFactor: n('divFactor'), finalDivFactor: n('finalDivFactor'),
      annealStrategy: o.annealStrategy as optim.AnnealStrategy | undefined, threePhase: o.threePhase as boolean | undefined,
    });
    case 'plateau': return new optim.ReduceLROnPlateau(opt, {
      mode: o.mode as 'min' | 'max' | undefined, patience: n('patience'), factor: n('factor'), threshold: n('threshold'),
      thresholdMode: o.thresholdMode as 'rel' | 'abs' | undefined, cooldown: n('cooldown'), minLr: n('minLr'),
    });
  }
}

function metric(c: ScheduleCase, k: number): number {
  const m = fx.metrics[k]!;
  return c.negateMetrics ? -m : m;
}

function expectLr(actual: number, expected: number, what: string): void {
  const err = Math.abs(actual - expected);
  if (err > 1e-14 * Math.abs(expected)) expect.fail(`${what}: lr ${actual}, PyTorch ${expected}`);
}

describe('schedulers against PyTorch', () => {
  it('the fixtures cover every scheduler over at least 100 steps', () => {
    const kinds = new Set(Object.values(fx.cases).map((c) => c.kind));
    expect([...kinds].sort()).toEqual([...optim.SCHEDULE_NAMES].sort());
    for (const c of Object.values(fx.cases)) expect(c.lrs.length).toBeGreaterThan(100);
  });

  for (const [name, c] of Object.entries(fx.cases)) {
    it(`${name}: the lr of every step`, () => {
      const opt = sgd();
      const s = build(c, opt);
      expectLr(opt.lr, c.lrs[0]!, `${name}, after construction`);
      for (let k = 1; k < c.lrs.length; k++) {
        opt.step();
        s.step(c.kind === 'plateau' ? metric(c, k - 1) : undefined);
        expectLr(opt.lr, c.lrs[k]!, `${name}, step ${k}`);
        expect(s.lr).toBe(opt.lr);
      }
    });

    it(`${name}: state() and loadState() halfway continue the same schedule`, () => {
      const half = Math.floor(c.lrs.length / 2);
      const a = sgd();
      const sa = build(c, a);
      for (let k = 1; k <= half; k++) sa.step(c.kind === 'plateau' ? metric(c, k - 1) : undefined);
      const saved = JSON.parse(JSON.stringify(sa.state())) as optim.SchedulerState;
      const b = sgd();
      const sb = build(c, b);
      sb.loadState(saved);
      expect(b.lr).toBe(a.lr);
      for (let k = half + 1; k < c.lrs.length; k++) {
        sb.step(c.kind === 'plateau' ? metric(c, k - 1) : undefined);
        expectLr(b.lr, c.lrs[k]!, `${name}, resumed, step ${k}`);
      }
    });
  }
});

describe('the schedule registry', () => {
  it('parses the short forms into configs its schedulers accept', () => {
    expect(optim.parseSchedule('step:30:0.1')).toEqual({ type: 'step', stepSize: 30, gamma: 0.1 });
    expect(optim.parseSchedule('multistep:30,60:0.5')).toEqual({ type: 'multistep', milestones: [30, 60], gamma: 0.5 });
    expect(optim.parseSchedule('exp:0.95')).toEqual({ type: 'exp', gamma: 0.95 });
    expect(optim.parseSchedule('cosine')).toEqual({ type: 'cosine' });
    expect(optim.parseSchedule('onecycle')).toEqual({ type: 'onecycle' });
    expect(optim.parseSchedule('plateau:5:0.5')).toEqual({ type: 'plateau', patience: 5, factor: 0.5 });
    expect(optim.parseSchedule('warmup:500')).toEqual({ type: 'warmup', totalIters: 500 });
    for (const text of ['step:30:0.1', 'multistep:30,60', 'exp:0.95', 'cosine', 'onecycle:0.25', 'plateau:5:0.5', 'warmup:500']) {
      expect(optim.resolveSchedule(optim.parseSchedule(text))).toEqual(optim.parseSchedule(text));
    }
  });

  it('refuses bad short forms and configs with one-line errors naming the option', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => optim.parseSchedule('linear'), /must start with one of step, multistep, exp, cosine, onecycle, plateau, warmup/],
      [() => optim.parseSchedule('step:x'), /stepSize must be an integer, got 'x'/],
      [() => optim.parseSchedule('exp:0.9:3'), /exp takes at most 1 value/],
      [() => optim.parseSchedule('multistep:3,,6'), /milestones must be a list of integers/],
      [() => optim.resolveSchedule(optim.parseSchedule('step')), /lrSchedule.stepSize is missing/],
      [() => optim.resolveSchedule(optim.parseSchedule('step:0')), /stepSize must be an integer ≥ 1, got 0/],
      [() => optim.resolveSchedule(optim.parseSchedule('multistep:60,30')), /milestones must be increasing/],
      [() => optim.resolveSchedule(optim.parseSchedule('plateau:5:2')), /factor must be < 1/],
      [() => optim.resolveSchedule(optim.parseSchedule('warmup:10:0')), /startFactor must be a finite number in \(0, 1\]/],
      [() => optim.resolveSchedule({ type: 'exp', gamma: 0.9, stepSize: 3 }), /lrSchedule.stepSize does not apply to exp/],
      [() => optim.resolveSchedule({ type: 'onecycle', cycleMomentum: true }), /cycleMomentum is not supported/],
      [() => optim.resolveSchedule('cosine'), /must be an object/],
    ];
    for (const [f, re] of cases) {
      let message = '';
      try {
        f();
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(re);
      expect(message).not.toContain('\n');
    }
  });

  it('builds per-run schedules: onecycle and cosine span the whole run, the others their own steps', () => {
    const ctx = { epochs: 3, stepsPerEpoch: 10 };
    const one = optim.buildSchedule(sgd(0.3), { type: 'onecycle' }, ctx);
    expect(one).toBeInstanceOf(optim.OneCycleLR);
    expect((one as optim.OneCycleLR).totalSteps).toBe(30);
    expect(one.lr).toBeCloseTo(0.3 / 25, 15);
    const cos = optim.buildSchedule(sgd(0.3), { type: 'cosine' }, ctx) as optim.CosineAnnealingLR;
    expect(cos.tMax).toBe(30);
    for (const name of optim.SCHEDULE_NAMES) expect(['step', 'epoch']).toContain(optim.SCHEDULES[name].interval);
  });

  it('ReduceLROnPlateau.step needs the metric', () => {
    const s = new optim.ReduceLROnPlateau(sgd());
    expect(() => s.step()).toThrow(/expected the epoch's metric/);
  });
});
