import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './test-backend';
import { WordPieceTokenizer, basicTokenize } from './tokenizer';
import { TextEncoder, textEncoderConfig } from './text-encoder';
import { Trainer } from './optim';
import { Rng } from './random';

beforeAll(setupTestBackend);

const COLOURS = ['red', 'green', 'blue', 'yellow'];
const FINDINGS = ['microaneurysms', 'haemorrhages', 'hard exudates', 'drusen', 'cotton-wool spots'];
const corpus = (n: number, rng: Rng) =>
  Array.from({ length: n }, () => `${['mild', 'moderate', 'severe'][rng.int(3)]} retinopathy with ${FINDINGS[rng.int(5)]} near the ${['macula', 'optic disc'][rng.int(2)]}, ${COLOURS[rng.int(4)]} tint.`);

describe('WordPiece tokenizer', () => {
  const texts = corpus(60, new Rng(1));
  const tok = WordPieceTokenizer.train(texts, 200);

  it('learns a bounded vocabulary with the special tokens first', () => {
    expect(tok.size).toBeLessThanOrEqual(200);
    expect(tok.vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(tok.idOf('retinopathy')).toBeDefined(); // frequent words become whole pieces
  });

  it('round-trips text through ids, including words never seen whole', () => {
    for (const text of [...texts.slice(0, 10), 'Severe retina, mild macula.']) {
      const ids = tok.encode(text);
      expect(ids[0]).toBe(tok.clsId);
      expect(ids[ids.length - 1]).toBe(tok.sepId);
      expect(tok.decode(ids)).toBe(basicTokenize(text).join(' '));
    }
    expect(tok.tokenize('maculas')).toEqual(['macula', '##s']);
  });

  it('maps unknown characters to [UNK], truncates to the maximum length and pads batches', () => {
    expect(tok.tokenize('zq')).toEqual(['[UNK]']);
    expect(tok.encode(texts.join(' '), 256)).toHaveLength(256);
    const b = tok.encodeBatch(['red', 'mild retinopathy with drusen'], 256);
    expect(b.batch).toBe(2);
    const n = tok.encode('red').length;
    expect(Array.from(b.mask.slice(0, b.length))).toEqual([...new Array(n).fill(1), ...new Array(b.length - n).fill(0)]);
    expect(b.length).toBe(tok.encode('mild retinopathy with drusen').length);
    expect(() => tok.encode('x', 300)).toThrow(/maxLength/);
  });

  it('loads and writes a BERT vocab.txt', () => {
    const again = WordPieceTokenizer.fromVocabText(tok.toVocabText());
    expect(again.vocab).toEqual(tok.vocab);
    expect(() => WordPieceTokenizer.fromVocabText('a\nb\n')).toThrow(/special token/);
  });
});

describe('text encoder', () => {
  it('exposes token and pooled embeddings and its MLM loss falls without leaking tensors', () => {
    const rng = new Rng(7);
    const texts = corpus(64, rng);
    const tok = WordPieceTokenizer.train(texts, 100);
    const enc = new TextEncoder(textEncoderConfig('tiny', tok.size), tok, 3);
    const shapes = tf.tidy(() => {
      const f = enc.encodeTexts(['red tint', 'severe retinopathy with drusen']);
      return [f.tokens.shape, f.pooled.shape];
    });
    expect(shapes[0].slice(0, 1)).toEqual([2]);
    expect(shapes[1]).toEqual([2, 32]);

    const trainer = new Trainer(enc.trainableVariables(), { learningRate: 3e-3 });
    const losses: number[] = [];
    let tensorsAfterWarmup = 0;
    for (let step = 0; step < 80; step++) {
      const batch = Array.from({ length: 16 }, (_, i) => texts[(step * 16 + i) % texts.length]);
      losses.push(trainer.step(() => enc.mlmLoss(batch, rng)).loss);
      if (step === 1) tensorsAfterWarmup = tf.memory().numTensors;
      if (step === 21) expect(tf.memory().numTensors).toBe(tensorsAfterWarmup);
    }
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    const early = mean(losses.slice(0, 5));
    const late = mean(losses.slice(-10));
    console.log(`text MLM loss ${early.toFixed(3)} -> ${late.toFixed(3)}`);
    expect(late).toBeLessThan(early * 0.75);
    trainer.dispose();
    enc.dispose();
  });
});
