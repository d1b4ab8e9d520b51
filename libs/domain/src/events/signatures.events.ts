import type { Event } from '../shared/event';

/** Meaning of an electronic signature (21 CFR 11.50): shown with the signer's name and time. */
export type SignatureMeaning = 'authorship' | 'review' | 'approval' | 'responsibility';
export const SIGNATURE_MEANINGS: readonly SignatureMeaning[] = ['authorship', 'review', 'approval', 'responsibility'];

/**
 * Binds a signature to one record (11.70): the signed stream at a revision and that event's chain hash.
 * Stream `signature-<id>`.
 */
export type SignatureApplied = Event<
  'SignatureApplied',
  { signatureId: string; stream: string; revision: number; hash: string; signer: string; meaning: SignatureMeaning }
>;

export type SignatureEvent = SignatureApplied;
