import type { SignatureMeaning } from '../events';
import type { Projection } from './projection';

export type SignatureView = { signatureId: string; revision: number; hash: string; signer: string; meaning: SignatureMeaning; signedAt: string; position: number };

/** Signatures per signed stream, in the order they were applied. */
export type StreamSignatures = { stream: string; signatures: SignatureView[] };

export const signaturesProjection: Projection<StreamSignatures, 'SignatureApplied'> = {
  name: 'signatures',
  canHandle: ['SignatureApplied'],
  documentId: (event) => event.data.stream,
  evolve(doc, event) {
    const { signatureId, stream, revision, hash, signer, meaning } = event.data;
    const current = doc ?? { stream, signatures: [] };
    return { ...current, signatures: [...current.signatures, { signatureId, revision, hash, signer, meaning, signedAt: event.metadata.occurredAt, position: event.position }] };
  },
};
