// INTERIM: the state "as of" a position or time, folded through the API's own projections.
// Used only while @forge/domain exports no `rebuildState`; the audit controller prefers the domain's.
import { canonicalJson } from '@forge/domain';
import { ImagesProjection } from '../images/images.projection';
import type { RecordedEvent } from '../store/port';
import { TasksProjection } from '../tasks/tasks.projection';
import { UsersProjection } from '../users/users.projection';

export interface AsOf {
  asOfPosition?: number;
  asOfTime?: string;
}

/** Folds the events at or before the cut-off (in the order given) and returns plain, key-sorted data. */
export function interimRebuildState(events: RecordedEvent[], asOf: AsOf) {
  const users = new UsersProjection();
  const images = new ImagesProjection();
  const tasks = new TasksProjection();
  const projections = [users, images, tasks];
  const counts: Record<string, number> = {};
  let lastPosition = 0;
  let folded = 0;
  for (const e of events) {
    if (asOf.asOfPosition !== undefined && e.position > asOf.asOfPosition) continue;
    if (asOf.asOfTime !== undefined && e.recordedAt > asOf.asOfTime) continue;
    for (const p of projections) if (p.handles.has(e.type)) p.apply(e);
    counts[e.type] = (counts[e.type] ?? 0) + 1;
    lastPosition = Math.max(lastPosition, e.position);
    folded += 1;
  }
  const sorted = <T>(m: Map<string, T>) => Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const state = {
    asOf: { position: asOf.asOfPosition ?? null, time: asOf.asOfTime ?? null },
    events: folded,
    lastPosition,
    eventCounts: counts,
    users: sorted(new Map([...users.byName].map(([k, u]) => [k, { username: u.username, roles: u.roles, disabled: u.disabled }]))),
    images: sorted(images.byId),
    tasks: sorted(tasks.byId),
  };
  // Round-trip through canonical JSON so the same history always gives the same bytes.
  return JSON.parse(canonicalJson(state)) as Record<string, unknown>;
}
