import { randomUUID } from 'node:crypto';
import type { ActorKind, CommandMetadata } from '@forge/domain';
import type { Principal } from '../auth/roles';

/**
 * Who asked and why, as the domain's command metadata. Every command the API issues carries it,
 * and the deciders copy it into the metadata of each event they emit.
 */
export function commandMetadata(principal: Principal | 'system', reason: string, correlationId?: string, now = new Date()): CommandMetadata {
  const actor =
    principal === 'system'
      ? { kind: 'system' as const, id: 'forge-api' }
      : principal.kind === 'service'
        ? { kind: 'system' as const, id: `service:${principal.id}` }
        : { kind: primaryRole(principal), id: principal.id };
  const id = correlationId ?? randomUUID();
  return { actor, reason, correlationId: id, causationId: id, occurredAt: now.toISOString() };
}

// The actor kind says in which capacity someone acted; with several roles the most privileged one is named.
function primaryRole(p: Principal): ActorKind {
  for (const r of ['admin', 'operator', 'auditor', 'expert'] as const) if (p.roles.includes(r)) return r;
  return 'system';
}
