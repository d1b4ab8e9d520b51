import { randomUUID } from 'node:crypto';
import { SIGNATURE_MEANINGS, streams, type CommandMetadata, type Decider, type SignatureMeaning } from '@forge/domain';
import { z } from 'zod/v4';
import { verifyPassword } from '../auth/password';
import type { Principal } from '../auth/roles';
import { ForbiddenError, NotFoundError } from '../errors/api-errors';
import type { ReadModel } from '../read-model/read-model.service';
import { eventHash, GENESIS_HASH, type EventStore, type JsonObject, type NewEvent } from '../store/port';
import { CURRENT_SCHEMA_VERSION } from '@forge/domain';

export const meaningField = z.enum(SIGNATURE_MEANINGS as [SignatureMeaning, ...SignatureMeaning[]]);
/** The password is asked again at signing time (21 CFR 11.200): a stolen session alone cannot sign. */
export const passwordField = z.string().min(1).max(200);

/** What is signed; the password was checked before (confirmSigner). */
export interface SignatureRequest {
  stream: string;
  revision: number;
  meaning: SignatureMeaning;
}

export interface SignatureRecord {
  signatureId: string;
  stream: string;
  revision: number;
  hash: string;
  signer: string;
  meaning: SignatureMeaning;
  signatureStream: string;
  position: number;
}

/** Re-checks the signer's password; a wrong one is a 403 (not a 401: the session itself stays valid). */
export async function confirmSigner(readModel: ReadModel, who: Principal, password: string): Promise<void> {
  await readModel.catchUp();
  const user = who.kind === 'user' ? readModel.users.byName.get(who.id) : undefined;
  if (!user || user.disabled) throw new ForbiddenError('only an enabled user account can sign');
  if (!(await verifyPassword(password, user.passwordHash))) throw new ForbiddenError('the password does not match: the signature was not applied');
}

/**
 * Load → decide → append: reads the signed stream, takes the chain hash of the event at `revision`
 * (so the signature names exactly the record it covers), then appends SignatureApplied to a new
 * `signature-<id>` stream.
 */
export async function signRecord(store: EventStore, who: Principal, input: SignatureRequest, metadata: CommandMetadata): Promise<SignatureRecord> {
  const events = await store.readStream(input.stream);
  if (events.length === 0) throw new NotFoundError(`no stream '${input.stream}'`);
  const target = events.find((e) => e.streamVersion === input.revision);
  if (!target) throw new NotFoundError(`stream '${input.stream}' has no revision ${input.revision} (it is at ${events[events.length - 1].streamVersion})`);
  const signatureId = randomUUID();
  const data = { signatureId, stream: input.stream, revision: input.revision, hash: target.hash, signer: who.id, meaning: input.meaning };
  const signatureStream = streams.signature(signatureId);
  const result = await store.append(
    signatureStream,
    [{ id: randomUUID(), type: 'SignatureApplied', data: data as JsonObject, metadata: { ...metadata, schemaVersion: CURRENT_SCHEMA_VERSION } as JsonObject }],
    'no_stream',
  );
  return { ...data, signatureStream, position: result.positions[0] };
}

/**
 * Load → decide → append, with the decision and its signature in one transaction: the hash of the
 * last decided event is computed ahead (the chain rule is public and the expected version pins the
 * head), so the SignatureApplied names it and both are stored, or neither.
 */
export async function decideAndSign<S, C extends { metadata: CommandMetadata }, E extends { type: string; data: object }>(
  store: EventStore,
  streamId: string,
  decider: Decider<S, C, E>,
  command: C,
  who: Principal,
  meaning: SignatureMeaning,
): Promise<{ events: E[]; signature: SignatureRecord }> {
  const recorded = await store.readStream(streamId);
  const state = recorded.reduce((s, r) => decider.evolve(s, r as unknown as E), decider.initialState());
  const head = recorded[recorded.length - 1];
  const version = head?.streamVersion ?? 0;
  const events = decider.decide(command, state);
  // Nothing new (e.g. promoting the serving version again): the signature goes on the current head.
  if (events.length === 0) return { events, signature: await signRecord(store, who, { stream: streamId, revision: version, meaning }, command.metadata) };
  const toAppend: NewEvent[] = events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as JsonObject, metadata: { ...command.metadata, schemaVersion: CURRENT_SCHEMA_VERSION } as JsonObject }));
  let hash = head?.hash ?? GENESIS_HASH;
  toAppend.forEach((e, i) => {
    hash = eventHash(hash, { streamId, streamVersion: version + 1 + i, eventId: e.id, type: e.type, data: e.data, metadata: e.metadata });
  });
  const signatureId = randomUUID();
  const data = { signatureId, stream: streamId, revision: version + toAppend.length, hash, signer: who.id, meaning };
  const signatureStream = streams.signature(signatureId);
  const [, signed] = await store.appendToStreams([
    { streamId, events: toAppend, expectedVersion: version === 0 ? 'no_stream' : version },
    { streamId: signatureStream, events: [{ id: randomUUID(), type: 'SignatureApplied', data: data as JsonObject, metadata: { ...command.metadata, schemaVersion: CURRENT_SCHEMA_VERSION } as JsonObject }], expectedVersion: 'no_stream' },
  ]);
  return { events, signature: { ...data, signatureStream, position: signed.positions[0] } };
}
