// The device worker: it owns the GPUDevice and executes the ring's commands in order (see
// protocol.ts). It runs in a Node worker thread or a browser worker; its source is this one
// function, turned into a string (serverSource), so it must not use anything from outside it but
// its arguments and the WebGPU globals.
//
// Per pipeline: one explicit bind group layout (storage buffers, then one uniform block with a
// dynamic offset), and bind groups cached by the buffer ids they bind, so a training step creates
// no GPU objects. Per submission: uniforms and uploads are written into two arenas with
// queue.writeBuffer before the command buffer that reads them is submitted (queue order makes that
// safe), uploads reach their buffer by copyBufferToBuffer inside the encoder (so they stay ordered
// with the dispatches around them), and the arenas are reused after each submit.

import type { AdapterDescription, Channel, PipelineSpec, ServerHello, ServerLayout } from './protocol.js';

export interface ServerInit {
  channel: Channel;
  layout: ServerLayout;
}

export async function deviceServer(init: ServerInit, gpu: GPU, post: (m: ServerHello) => void): Promise<void> {
  const L = init.layout;
  const ctrl = new Int32Array(init.channel.control);
  const ring = new Int32Array(init.channel.ring);
  const readback = new Uint8Array(init.channel.readback);
  const errorText = new Uint8Array(init.channel.errorText);
  const UNIFORM_SLOT = 256;
  const UNIFORM_ARENA = 4096 * UNIFORM_SLOT;
  const UPLOAD_ARENA = 16 << 20;

  const fail = (message: string): void => {
    if (Atomics.load(ctrl, L.CTRL.FAILED) !== 0) return;
    const bytes = new TextEncoder().encode(message.slice(0, L.ERROR_TEXT_BYTES / 4 - 1));
    errorText.set(bytes.subarray(0, L.ERROR_TEXT_BYTES - 1));
    errorText[Math.min(bytes.length, L.ERROR_TEXT_BYTES - 1)] = 0;
    Atomics.store(ctrl, L.CTRL.FAILED, 1);
    // wake a client waiting for a readback or for ring space
    Atomics.add(ctrl, L.CTRL.DONE, 1);
    Atomics.notify(ctrl, L.CTRL.DONE);
    Atomics.notify(ctrl, L.CTRL.READ);
  };

  let device: GPUDevice;
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      post({ ok: false, reason: 'navigator.gpu.requestAdapter() found no adapter' });
      return;
    }
    const lim = adapter.limits;
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
        maxBufferSize: lim.maxBufferSize,
        maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
      },
    });
    const info = adapter.info;
    const adapterDescription: AdapterDescription = {
      vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
      maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: lim.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
    };
    device.addEventListener('uncapturederror', (e) => fail(`webgpu device error: ${(e as GPUUncapturedErrorEvent).error.message}`));
    void device.lost.then((l) => {
      if (l.reason !== 'destroyed') fail(`webgpu device lost: ${l.message}`);
    });
    post({ ok: true, adapter: adapterDescription });
  } catch (e) {
    post({ ok: false, reason: `requesting a WebGPU device failed: ${e instanceof Error ? e.message : String(e)}` });
    return;
  }

  const buffers = new Map<number, GPUBuffer>();
  interface Pipeline { name: string; pipeline: GPUComputePipeline; layout: GPUBindGroupLayout; groups: Map<string, GPUBindGroup> }
  const pipelines = new Map<number, Pipeline>();
  const uniformArena = device.createBuffer({ size: UNIFORM_ARENA, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const uploadArena = device.createBuffer({ size: UPLOAD_ARENA, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const readBuffer = device.createBuffer({ size: L.READBACK_BYTES, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  // host-side staging: queue.writeBuffer takes no view on shared memory
  const uniformStage = new Uint32Array(UNIFORM_ARENA / 4);
  const uploadStage = new Uint8Array(UPLOAD_ARENA);

  let encoder: GPUCommandEncoder | null = null;
  let pass: GPUComputePassEncoder | null = null;
  let uniformUsed = 0;
  let uploadUsed = 0;
  let uniformsWritten = 0;

  const getEncoder = (): GPUCommandEncoder => (encoder ??= device.createCommandEncoder());
  const endPass = (): void => {
    if (pass) pass.end();
    pass = null;
  };
  const submit = (): void => {
    if (!encoder) return;
    endPass();
    if (uniformUsed > uniformsWritten) {
      device.queue.writeBuffer(uniformArena, uniformsWritten, uniformStage, uniformsWritten / 4, (uniformUsed - uniformsWritten) / 4);
    }
    device.queue.submit([encoder.finish()]);
    encoder = null;
    uniformUsed = uploadUsed = uniformsWritten = 0;
  };

  const text = (at: number, bytes: number): string => {
    const words = ring.slice(at, at + Math.ceil(bytes / 4));
    return new TextDecoder().decode(new Uint8Array(words.buffer, 0, bytes));
  };

  const createPipeline = (id: number, spec: PipelineSpec): void => {
    const entries: GPUBindGroupLayoutEntry[] = spec.bindings.map((b, i) => ({
      binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: b === 'w' ? 'storage' : 'read-only-storage' },
    }));
    entries.push({ binding: spec.bindings.length, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } });
    const layout = device.createBindGroupLayout({ entries });
    const module = device.createShaderModule({ code: spec.code, label: spec.name });
    const pipeline = device.createComputePipeline({
      label: spec.name,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main', constants: spec.constants },
    });
    pipelines.set(id, { name: spec.name, pipeline, layout, groups: new Map() });
  };

  const dispatch = (at: number): void => {
    const p = pipelines.get(ring[at]!);
    if (!p) throw new Error(`dispatch of unknown pipeline ${ring[at]}`);
    const nBuf = ring[at + 1]!;
    const ids = ring.subarray(at + 5, at + 5 + nBuf);
    const key = ids.join(',');
    let group = p.groups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = Array.from(ids, (id, i) => {
        const b = buffers.get(id);
        if (!b) throw new Error(`${p.name}: binding ${i} names unknown buffer ${id}`);
        return { binding: i, resource: { buffer: b } };
      });
      entries.push({ binding: nBuf, resource: { buffer: uniformArena, size: L.UNIFORM_WORDS * 4 } });
      group = device.createBindGroup({ layout: p.layout, entries });
      p.groups.set(key, group);
    }
    const uAt = at + 5 + nBuf;
    const nU = ring[uAt]!;
    if (uniformUsed + UNIFORM_SLOT > UNIFORM_ARENA) submit();
    const slot = uniformUsed;
    uniformStage.set(ring.subarray(uAt + 1, uAt + 1 + nU), slot / 4);
    uniformUsed += UNIFORM_SLOT;
    getEncoder();
    pass ??= encoder!.beginComputePass();
    pass.setPipeline(p.pipeline);
    pass.setBindGroup(0, group, [slot]);
    pass.dispatchWorkgroups(ring[at + 2]!, ring[at + 3]!, ring[at + 4]!);
  };

  const upload = (at: number): void => {
    const target = buffers.get(ring[at]!);
    if (!target) throw new Error(`upload into unknown buffer ${ring[at]}`);
    const offset = ring[at + 1]!;
    const bytes = ring[at + 2]!;
    if (uploadUsed + bytes > UPLOAD_ARENA) submit();
    const src = new Uint8Array(ring.buffer, (at + 3) * 4, bytes);
    uploadStage.set(src, uploadUsed);
    device.queue.writeBuffer(uploadArena, uploadUsed, uploadStage, uploadUsed, bytes);
    endPass();
    getEncoder().copyBufferToBuffer(uploadArena, uploadUsed, target, offset, bytes);
    uploadUsed += bytes;
  };

  const read = async (at: number): Promise<void> => {
    const src = buffers.get(ring[at]!);
    if (!src) throw new Error(`read of unknown buffer ${ring[at]}`);
    const offset = ring[at + 1]!;
    const bytes = ring[at + 2]!;
    endPass();
    getEncoder().copyBufferToBuffer(src, offset, readBuffer, 0, bytes);
    submit();
    // Waiting for the queue first, then mapping: in Dawn's Node bindings a mapAsync issued while
    // the copy is still queued resolves on a slow poll (≈ 6 ms on SwiftShader), this in 0.5 ms.
    await device.queue.onSubmittedWorkDone();
    await readBuffer.mapAsync(GPUMapMode.READ, 0, bytes);
    readback.set(new Uint8Array(readBuffer.getMappedRange(0, bytes)));
    readBuffer.unmap();
    Atomics.add(ctrl, L.CTRL.DONE, 1);
    Atomics.notify(ctrl, L.CTRL.DONE);
  };

  let r = Atomics.load(ctrl, L.CTRL.READ);
  for (;;) {
    const w = Atomics.load(ctrl, L.CTRL.WRITE);
    try {
      while (r !== w && Atomics.load(ctrl, L.CTRL.FAILED) === 0 && Atomics.load(ctrl, L.CTRL.HALT) === 0) {
        const at = r & L.RING_MASK;
        const op = ring[at]!;
        const words = ring[at + 1]!;
        const body = at + 2;
        if (op === L.OP.SKIP) {
          r = (r + (L.RING_WORDS - at)) | 0;
        } else {
          if (op === L.OP.DISPATCH) dispatch(body);
          else if (op === L.OP.UPLOAD) upload(body);
          else if (op === L.OP.READ) await read(body);
          else if (op === L.OP.ALLOC) {
            buffers.set(ring[body]!, device.createBuffer({
              size: Math.max(16, Math.ceil(ring[body + 1]! / 16) * 16),
              usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
            }));
          } else if (op === L.OP.FREE) {
            submit(); // a dispatch encoded before may still use it
            buffers.get(ring[body]!)?.destroy();
            buffers.delete(ring[body]!);
            for (const p of pipelines.values()) for (const k of [...p.groups.keys()]) if (k.split(',').includes(String(ring[body]))) p.groups.delete(k);
          } else if (op === L.OP.PIPELINE) createPipeline(ring[body]!, JSON.parse(text(body + 2, ring[body + 1]!)) as PipelineSpec);
          else throw new Error(`unknown command ${op} at ring word ${at}`);
          r = (r + words) | 0;
        }
        Atomics.store(ctrl, L.CTRL.READ, r);
        Atomics.notify(ctrl, L.CTRL.READ);
      }
      submit();
    } catch (e) {
      fail(`webgpu device worker: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (Atomics.load(ctrl, L.CTRL.QUIT) !== 0 || Atomics.load(ctrl, L.CTRL.HALT) !== 0) break;
    // Idle: nothing is awaited (a READ completes before the next command), so the thread may
    // block. (Atomics.waitAsync would keep the event loop free, but a Node worker's waitAsync can
    // miss a notify from a thread that then blocks in Atomics.wait.)
    Atomics.wait(ctrl, L.CTRL.WRITE, w, 1000);
  }
  device.destroy();
  // destroy() resolves device.lost; its callback must not come while the thread is being cut off
  await device.lost;
  Atomics.store(ctrl, L.CTRL.STOPPED, 1);
  Atomics.notify(ctrl, L.CTRL.STOPPED);
}
