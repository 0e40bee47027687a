/**
 * A module's status (Prosody's `module:set_status` / `get_status`), which `ctl status` shows.
 * The rules are Prosody's: an `error` is replaced only by another `error` unless `override` is
 * true, and `override: false` keeps any more severe status.
 */
import type { ModuleStatus, ModuleStatusType } from './module-api.js';

const PRIORITY: Record<ModuleStatusType, number> = { error: 3, warn: 2, info: 1, core: 0 };

export function isStatusType(type: unknown): type is ModuleStatusType {
  return typeof type === 'string' && Object.hasOwn(PRIORITY, type);
}

/** The status after `type`/`message` is set on `current`, or `current` when the rules keep it. */
export function nextStatus(current: ModuleStatus | undefined, type: ModuleStatusType, message: string, time: number, override?: boolean): ModuleStatus | undefined {
  const priority = PRIORITY[type];
  const currentPriority = current ? PRIORITY[current.type] : 0;
  if ((currentPriority >= PRIORITY.error && priority < currentPriority && override !== true) || (override === false && currentPriority > priority)) {
    return current;
  }
  return { type, message, time };
}
