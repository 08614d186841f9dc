// Whether Debian's python3 with PyTorch is here: the tests that load handgrad's files into
// PyTorch run only then (and say so in their names).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Python that runs the PyTorch checks. */
export const PYTHON = '/usr/bin/python3';

/** True when `python3 -c 'import torch'` succeeds. */
export const torchReady: boolean = existsSync(PYTHON) && (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
