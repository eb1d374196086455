/**
 * Which ONNX Runtime execution providers to try, and why one is skipped: the `auto` order per
 * platform (WebGPU, then CUDA where its libraries are installed, DirectML on Windows, CoreML on
 * macOS, then CPU), and a check, before any session is created, that a provider exists on this
 * platform, in this onnxruntime-node build and, for CUDA, that its provider library (not
 * bundled in the npm package: onnxruntime-node's install script fetches it) sits beside the
 * binding. session.ts tries the candidates in order and records a reason for each one passed over.
 * Pure functions plus one probe of the installed package; no session is created here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a loaded model actually runs on. */
export type ExecutionProviderName = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';
/** What the caller asks for: `auto` tries the GPU providers of the platform, then the CPU. */
export type ExecutionProviderChoice = 'auto' | ExecutionProviderName;

export const EXECUTION_PROVIDERS: readonly ExecutionProviderName[] = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

/** A provider that was passed over, and why (not available here, or its session failed). */
export interface ProviderFallback {
  provider: ExecutionProviderName;
  reason: string;
}

/** What decides availability: the platform, the build's providers and the files beside the binding. */
export interface ProviderEnvironment {
  platform: NodeJS.Platform;
  /** Provider names the onnxruntime-node binding was built with (`listSupportedBackends()`). */
  supported: readonly string[];
  /** File names in the folder of onnxruntime_binding.node (empty when it was not found). */
  bindingFiles: readonly string[];
}

/** The providers `auto` tries on `platform`, in order; CPU is always last. */
export function autoProviderOrder(platform: NodeJS.Platform): ExecutionProviderName[] {
  switch (platform) {
    case 'linux':
      return ['webgpu', 'cuda', 'cpu'];
    case 'win32':
      return ['webgpu', 'cuda', 'dml', 'cpu'];
    case 'darwin':
      return ['webgpu', 'coreml', 'cpu'];
    default:
      return ['webgpu', 'cpu'];
  }
}

/** The CUDA provider library onnxruntime-node loads on `platform`. */
export function cudaProviderLibrary(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
}

const PLATFORMS: Partial<Record<ExecutionProviderName, { platforms: NodeJS.Platform[]; label: string }>> = {
  cuda: { platforms: ['linux', 'win32'], label: 'CUDA is only available on Linux and Windows' },
  dml: { platforms: ['win32'], label: 'DirectML is only available on Windows' },
  coreml: { platforms: ['darwin'], label: 'CoreML is only available on macOS' },
};

/**
 * Why `provider` cannot be tried here, or undefined when a session may be attempted. Does not
 * prove the provider works (a GPU or driver may still be missing): session creation decides that.
 */
export function unavailableReason(provider: ExecutionProviderName, env: ProviderEnvironment): string | undefined {
  if (provider === 'cpu') return undefined;
  const platform = PLATFORMS[provider];
  if (platform && !platform.platforms.includes(env.platform)) return `${platform.label} (this is ${env.platform})`;
  if (!env.supported.includes(provider)) return `this onnxruntime-node build has no ${provider} provider on ${env.platform}`;
  if (provider === 'cuda') {
    const library = cudaProviderLibrary(env.platform);
    if (!env.bindingFiles.includes(library)) return `CUDA provider library not installed (${library} is not beside the onnxruntime-node binding)`;
  }
  return undefined;
}

/**
 * The providers to attempt for `choice`, each with the reason it is skipped (if it is). An
 * explicit GPU provider falls back to CPU too, so a missing GPU never stops the model loading.
 */
export function providerPlan(choice: ExecutionProviderChoice, env: ProviderEnvironment): Array<{ provider: ExecutionProviderName; skip?: string }> {
  const order = choice === 'auto' ? autoProviderOrder(env.platform) : choice === 'cpu' ? ['cpu' as const] : [choice, 'cpu' as const];
  return order.map((provider) => {
    const skip = unavailableReason(provider, env);
    return skip === undefined ? { provider } : { provider, skip };
  });
}

/** One line for logs and the status bar: "webgpu: reason; cuda: reason". */
export function describeFallbacks(fallbacks: readonly ProviderFallback[]): string | undefined {
  return fallbacks.length === 0 ? undefined : fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ');
}

/** This process's environment: the platform, the binding's providers and its folder's files. */
export function currentProviderEnvironment(supported: readonly string[]): ProviderEnvironment {
  return { platform: process.platform, supported, bindingFiles: bindingFolderFiles() };
}

let cachedBindingFiles: string[] | undefined;

function bindingFolderFiles(): string[] {
  if (cachedBindingFiles) return cachedBindingFiles;
  try {
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    const bin = join(root, 'bin');
    for (const napi of readdirSync(bin).filter((name) => name.startsWith('napi-v')).sort().reverse()) {
      const folder = join(bin, napi, process.platform, process.arch);
      if (existsSync(join(folder, 'onnxruntime_binding.node'))) return (cachedBindingFiles = readdirSync(folder));
    }
  } catch {
    // No package folder to look in: nothing beside the binding is known.
  }
  return (cachedBindingFiles = []);
}
