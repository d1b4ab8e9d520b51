/**
 * WordPiece tokenizer, BERT-compatible: lower-cased basic tokenisation (whitespace and
 * punctuation split), then greedy longest-match-first into pieces, continuations marked "##".
 * The vocabulary is learned from a corpus (WordPiece merges scored freq(ab)/(freq(a)·freq(b)))
 * or loaded from a BERT `vocab.txt`.
 */

export const SPECIAL_TOKENS = { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' } as const;
export const MAX_SEQUENCE_LENGTH = 256;
const MAX_WORD_CHARS = 100;

export interface EncodedBatch {
  /** Token ids, row-major (batch, length). */
  ids: Int32Array;
  /** 1 for real tokens, 0 for padding, (batch, length). */
  mask: Float32Array;
  batch: number;
  length: number;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

const isPunctuation = (ch: string) => /[\p{P}\p{S}]/u.test(ch);

/** Lower-cases, strips accents, splits on whitespace and around punctuation. */
export function basicTokenize(text: string): string[] {
  const cleaned = text.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();
  const words: string[] = [];
  for (const chunk of cleaned.split(/\s+/)) {
    let current = '';
    for (const ch of chunk) {
      if (isPunctuation(ch)) {
        if (current) words.push(current);
        words.push(ch);
        current = '';
      } else current += ch;
    }
    if (current) words.push(current);
  }
  return words;
}

export class WordPieceTokenizer {
  private readonly index = new Map<string, number>();
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;

  constructor(readonly vocab: readonly string[]) {
    vocab.forEach((token, i) => {
      if (this.index.has(token)) throw invalid(`WordPieceTokenizer: duplicate vocabulary entry "${token}" at line ${i + 1}`);
      this.index.set(token, i);
    });
    const id = (token: string) => {
      const found = this.index.get(token);
      if (found === undefined) throw invalid(`WordPieceTokenizer: vocabulary lacks the special token ${token}`);
      return found;
    };
    this.padId = id(SPECIAL_TOKENS.pad);
    this.unkId = id(SPECIAL_TOKENS.unk);
    this.clsId = id(SPECIAL_TOKENS.cls);
    this.sepId = id(SPECIAL_TOKENS.sep);
    this.maskId = id(SPECIAL_TOKENS.mask);
  }

  get size(): number {
    return this.vocab.length;
  }

  /** Ids of the special tokens (never masked or predicted as content). */
  get specialIds(): number[] {
    return [this.padId, this.unkId, this.clsId, this.sepId, this.maskId];
  }

  /** Reads a BERT `vocab.txt` (one token per line). */
  static fromVocabText(text: string): WordPieceTokenizer {
    const lines = text.split(/\r?\n/);
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return new WordPieceTokenizer(lines);
  }

  toVocabText(): string {
    return this.vocab.join('\n') + '\n';
  }

  /** Learns a vocabulary of at most `vocabSize` entries from a corpus. */
  static train(corpus: readonly string[], vocabSize: number): WordPieceTokenizer {
    const specials = Object.values(SPECIAL_TOKENS) as string[];
    if (!Number.isInteger(vocabSize) || vocabSize < specials.length + 1) throw invalid(`WordPieceTokenizer.train: vocabSize must be an integer > ${specials.length}, got ${vocabSize}`);
    const wordCounts = new Map<string, number>();
    for (const line of corpus) for (const w of basicTokenize(line)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    // Every word starts as its characters: first plain, the rest "##"-prefixed.
    const words = [...wordCounts.entries()].map(([w, count]) => ({ pieces: [...w].map((ch, i) => (i === 0 ? ch : '##' + ch)), count }));
    const vocab = new Set<string>(specials);
    for (const { pieces } of words) for (const p of pieces) vocab.add(p);
    while (vocab.size < vocabSize) {
      const pieceFreq = new Map<string, number>();
      const pairFreq = new Map<string, number>();
      for (const { pieces, count } of words) {
        for (let i = 0; i < pieces.length; i++) {
          pieceFreq.set(pieces[i], (pieceFreq.get(pieces[i]) ?? 0) + count);
          if (i + 1 < pieces.length) {
            const key = pieces[i] + '\u0000' + pieces[i + 1];
            pairFreq.set(key, (pairFreq.get(key) ?? 0) + count);
          }
        }
      }
      let best = '';
      let bestScore = -1;
      for (const [key, f] of pairFreq) {
        const [a, b] = key.split('\u0000');
        const score = f / (pieceFreq.get(a)! * pieceFreq.get(b)!);
        // ties broken by the pair itself so training is deterministic
        if (score > bestScore || (score === bestScore && key < best)) {
          bestScore = score;
          best = key;
        }
      }
      if (bestScore < 0) break; // every word is a single piece
      const [a, b] = best.split('\u0000');
      const merged = a + b.replace(/^##/, '');
      for (const word of words) {
        const out: string[] = [];
        for (let i = 0; i < word.pieces.length; i++) {
          if (i + 1 < word.pieces.length && word.pieces[i] === a && word.pieces[i + 1] === b) {
            out.push(merged);
            i++;
          } else out.push(word.pieces[i]);
        }
        word.pieces = out;
      }
      vocab.add(merged);
    }
    return new WordPieceTokenizer([...vocab]);
  }

  /** Pieces of one text, without [CLS]/[SEP]. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const word of basicTokenize(text)) {
      if (word.length > MAX_WORD_CHARS) {
        out.push(SPECIAL_TOKENS.unk);
        continue;
      }
      const pieces: string[] = [];
      let start = 0;
      let failed = false;
      while (start < word.length) {
        let end = word.length;
        let found: string | undefined;
        while (start < end) {
          const candidate = (start > 0 ? '##' : '') + word.slice(start, end);
          if (this.index.has(candidate)) {
            found = candidate;
            break;
          }
          end--;
        }
        if (!found) {
          failed = true;
          break;
        }
        pieces.push(found);
        start = end;
      }
      if (failed) out.push(SPECIAL_TOKENS.unk);
      else out.push(...pieces);
    }
    return out;
  }

  /** [CLS] pieces [SEP], truncated to maxLength. */
  encode(text: string, maxLength = MAX_SEQUENCE_LENGTH): number[] {
    if (maxLength < 2 || maxLength > MAX_SEQUENCE_LENGTH) throw invalid(`WordPieceTokenizer.encode: maxLength must be in [2, ${MAX_SEQUENCE_LENGTH}], got ${maxLength}`);
    const ids = this.tokenize(text).map((t) => this.index.get(t) ?? this.unkId);
    return [this.clsId, ...ids.slice(0, maxLength - 2), this.sepId];
  }

  /** Pads every text to the same length (the longest, capped at maxLength). */
  encodeBatch(texts: readonly string[], maxLength = MAX_SEQUENCE_LENGTH): EncodedBatch {
    const encoded = texts.map((t) => this.encode(t, maxLength));
    const length = Math.max(2, ...encoded.map((e) => e.length));
    const ids = new Int32Array(texts.length * length).fill(this.padId);
    const mask = new Float32Array(texts.length * length);
    encoded.forEach((e, b) => e.forEach((id, i) => {
      ids[b * length + i] = id;
      mask[b * length + i] = 1;
    }));
    return { ids, mask, batch: texts.length, length };
  }

  /** Text back from ids: special tokens dropped, "##" pieces glued to the previous one. */
  decode(ids: readonly number[]): string {
    const special = new Set(this.specialIds.filter((id) => id !== this.unkId));
    let text = '';
    for (const id of ids) {
      if (special.has(id)) continue;
      const token = this.vocab[id] ?? SPECIAL_TOKENS.unk;
      if (token.startsWith('##')) text += token.slice(2);
      else text += (text ? ' ' : '') + token;
    }
    return text;
  }

  idOf(token: string): number | undefined {
    return this.index.get(token);
  }
}
