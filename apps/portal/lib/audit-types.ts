/** An event as the audit routes return it (password hashes redacted). */
export interface AuditEvent {
  id: string;
  streamId: string;
  streamVersion: number;
  position: number;
  transactionId: string;
  type: string;
  data: Record<string, unknown>;
  metadata: { actor?: { kind: string; id: string }; reason?: string; occurredAt?: string } & Record<string, unknown>;
  hash: string;
  prevHash: string;
  recordedAt: string;
}

export interface VerifyReport {
  ok: boolean;
  streams: number;
  events: number;
  firstProblem?: { streamId: string; streamVersion: number; position: number; reason: string };
  problems: unknown[];
  seals: { checked: number; broken: number };
}

export function actorOf(e: AuditEvent): string {
  return e.metadata.actor ? `${e.metadata.actor.kind}:${e.metadata.actor.id}` : '—';
}

/** A datetime-local value (no zone: the browser's local time) as an ISO instant. */
export function localToIso(value: string): string | null {
  if (!value) return null;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}
