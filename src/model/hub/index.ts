/**
 * Model sources from the Hugging Face Hub: ids, downloads into the per-user cache, and the
 * compiled-graph cache. Import from here; the files behind it are implementation detail.
 */
export { assertCacheOutside, defaultCacheRoot, defaultHubCacheDir } from './cache';
export {
  type CheckpointDownload,
  DEFAULT_ENDPOINT,
  downloadCheckpoint,
  type DownloadCheckpointOptions,
  type DownloadProgress,
} from './download';
export { HubError, type HubErrorKind } from './errors';
export {
  checkpointFiles,
  checkpointHash,
  type CompiledGraphEntry,
  GraphCache,
  graphCacheKey,
  type GraphCacheKeyParts,
} from './graph-cache';
export {
  formatHubId,
  HUB_SPEC_PREFIX,
  type HubId,
  HubIdError,
  hubIdFromModelSpec,
  parseHubId,
  repoPath,
  validateRepoFileName,
} from '../../protocol/hub-id';
