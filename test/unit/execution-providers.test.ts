// Execution providers: the `auto` order per platform (pure), why a provider is skipped
// (platform, build, CUDA library beside the binding), and real loads on this machine: `auto`
// ends on CPU with a reason for every GPU provider passed over, a CUDA session that fails falls
// back instead of crashing, and an explicit provider that does not exist here still loads.
import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  autoProviderOrder,
  currentProviderEnvironment,
  describeFallbacks,
  providerPlan,
  unavailableReason,
  type ProviderEnvironment,
} from '../../src/engine/execution-providers';
import { disposeAllModels, loadModel } from '../../src/engine/session';
import { mergeSettings } from '../../src/server/settings';

const FIXTURE_DIR = resolve(__dirname, '../..', 'test', 'fixtures', 'tiny-bert');

const linux = (bindingFiles: string[] = []): ProviderEnvironment => ({ platform: 'linux', supported: ['cpu', 'webgpu', 'cuda', 'tensorrt'], bindingFiles });
const windows: ProviderEnvironment = { platform: 'win32', supported: ['cpu', 'webgpu', 'dml', 'cuda'], bindingFiles: ['onnxruntime.dll', 'DirectML.dll'] };
const mac: ProviderEnvironment = { platform: 'darwin', supported: ['cpu', 'webgpu', 'coreml'], bindingFiles: [] };

after(() => disposeAllModels());

describe('the auto order', () => {
  test('WebGPU first, then CUDA (Linux, Windows), DirectML (Windows), CoreML (macOS), CPU last', () => {
    assert.deepEqual(autoProviderOrder('linux'), ['webgpu', 'cuda', 'cpu']);
    assert.deepEqual(autoProviderOrder('win32'), ['webgpu', 'cuda', 'dml', 'cpu']);
    assert.deepEqual(autoProviderOrder('darwin'), ['webgpu', 'coreml', 'cpu']);
    assert.deepEqual(autoProviderOrder('freebsd'), ['webgpu', 'cpu']);
  });

  test('CUDA is tried only when its provider library sits beside the binding', () => {
    assert.match(unavailableReason('cuda', linux()) ?? '', /^CUDA provider library not installed/);
    assert.equal(unavailableReason('cuda', linux(['libonnxruntime_providers_cuda.so'])), undefined);
    assert.match(unavailableReason('cuda', windows) ?? '', /CUDA provider library not installed \(onnxruntime_providers_cuda\.dll/);
    assert.match(unavailableReason('cuda', mac) ?? '', /only available on Linux and Windows/);
  });

  test('DirectML only on Windows, CoreML only on macOS, and only when the build has them', () => {
    assert.equal(unavailableReason('dml', windows), undefined);
    assert.match(unavailableReason('dml', linux()) ?? '', /DirectML is only available on Windows/);
    assert.equal(unavailableReason('coreml', mac), undefined);
    assert.match(unavailableReason('coreml', windows) ?? '', /CoreML is only available on macOS/);
    assert.match(unavailableReason('webgpu', { ...mac, supported: ['cpu'] }) ?? '', /no webgpu provider/);
    assert.equal(unavailableReason('cpu', { platform: 'linux', supported: [], bindingFiles: [] }), undefined);
  });

  test('plans: auto per platform with skips, an explicit provider then CPU, cpu alone', () => {
    assert.deepEqual(
      providerPlan('auto', windows).map((p) => [p.provider, p.skip === undefined]),
      [['webgpu', true], ['cuda', false], ['dml', true], ['cpu', true]],
    );
    assert.deepEqual(providerPlan('auto', mac).map((p) => p.provider), ['webgpu', 'coreml', 'cpu']);
    assert.deepEqual(providerPlan('coreml', linux()).map((p) => [p.provider, p.skip === undefined]), [['coreml', false], ['cpu', true]]);
    assert.deepEqual(providerPlan('cpu', windows), [{ provider: 'cpu' }]);
    assert.equal(describeFallbacks([]), undefined);
    assert.equal(describeFallbacks([{ provider: 'webgpu', reason: 'no adapter' }, { provider: 'cuda', reason: 'no library' }]), 'webgpu: no adapter; cuda: no library');
  });

  test('the server accepts every provider setting and replaces an unknown one with auto', () => {
    for (const value of ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const) assert.equal(mergeSettings({ executionProvider: value }).executionProvider, value);
    assert.equal(mergeSettings({ executionProvider: 'tpu' }).executionProvider, 'auto');
  });
});

describe('loading on this machine', () => {
  test("'auto' ends on a provider, with a reason for each one passed over, in order", async () => {
    const model = await loadModel(FIXTURE_DIR, { executionProvider: 'auto' });
    const order = autoProviderOrder(process.platform);
    const used = order.indexOf(model.executionProvider);
    assert.ok(used >= 0, model.executionProvider);
    assert.deepEqual(model.fallbacks.map((f) => f.provider), order.slice(0, used));
    for (const fallback of model.fallbacks) assert.ok(fallback.reason.length > 0, fallback.provider);
    if (model.executionProvider === 'cpu') {
      // This CPU-only machine: WebGPU finds no adapter, CUDA is not installed.
      assert.match(model.fallbackReason ?? '', /^webgpu: .+/);
      if (process.platform === 'linux') {
        const cuda = model.fallbacks.find((f) => f.provider === 'cuda');
        assert.ok(cuda, 'a reason for CUDA');
        const here = currentProviderEnvironment(ort.listSupportedBackends().map((b) => b.name));
        if (!here.bindingFiles.includes('libonnxruntime_providers_cuda.so')) assert.match(cuda.reason, /^CUDA provider library not installed/);
      }
    }
    console.log(`auto on this machine: ${model.executionProvider}; ${model.fallbackReason ?? 'no fallback'}`);
  });

  test('a CUDA session that fails to load falls back to CPU with the error as reason, without a crash', async () => {
    // Pretend the provider library is installed: ONNX Runtime then tries to load it and fails.
    const model = await loadModel(FIXTURE_DIR, {
      executionProvider: 'cuda',
      providerEnvironment: { platform: 'linux', supported: ['cpu', 'webgpu', 'cuda'], bindingFiles: ['libonnxruntime_providers_cuda.so'] },
      logSeverityLevel: 4,
    });
    if (model.executionProvider === 'cuda') return; // a machine with CUDA installed after all
    assert.equal(model.executionProvider, 'cpu');
    assert.equal(model.fallbacks.length, 1);
    assert.equal(model.fallbacks[0].provider, 'cuda');
    assert.ok(model.fallbacks[0].reason.length > 0);
  });

  test('an explicit provider this platform lacks loads on CPU and says why', async () => {
    const missing = process.platform === 'win32' ? 'coreml' : 'dml';
    const model = await loadModel(FIXTURE_DIR, { executionProvider: missing });
    assert.equal(model.executionProvider, 'cpu');
    assert.deepEqual(model.fallbacks.map((f) => f.provider), [missing]);
    assert.match(model.fallbackReason ?? '', /only available on/);
  });
});
