// The device worker's source as a string (a Node `eval` worker or a browser Blob worker), so no
// separate file has to be found at run time by bundlers or vitest: deviceServer itself, then the
// few lines that hand it a GPU. The Node worker gets Dawn from the `webgpu` package (its URL is
// resolved by the calling thread); a browser worker has navigator.gpu.

import { deviceServer } from './server.js';

const SERVER = `const deviceServer = ${deviceServer.toString()};\n`;

export const NODE_WORKER_SOURCE =
  SERVER +
  `const { workerData, parentPort } = require('node:worker_threads');
import(workerData.webgpuUrl).then(({ create, globals }) => {
  Object.assign(globalThis, globals);
  const gpu = create(workerData.dawnOptions);
  return deviceServer(workerData.init, gpu, (m) => parentPort.postMessage(m));
}).catch((e) => parentPort.postMessage({ ok: false, reason: 'the device worker failed: ' + (e && e.message ? e.message : String(e)) }));
`;

export const BROWSER_WORKER_SOURCE =
  SERVER +
  `self.onmessage = (e) => {
  self.onmessage = null;
  if (!self.navigator.gpu) { self.postMessage({ ok: false, reason: 'this browser exposes no navigator.gpu in workers' }); return; }
  deviceServer(e.data.init, self.navigator.gpu, (m) => self.postMessage(m))
    .catch((err) => self.postMessage({ ok: false, reason: 'the device worker failed: ' + (err && err.message ? err.message : String(err)) }));
};
`;
