/* Native kernels for the wasm backend: compiled on first use by native-kernels.ts with
 * `cc -O3 -march=native` (so the compiler vectorises these loops for this CPU's AVX2/AVX-512
 * FMA units) and called through koffi with the wasm heap itself: every tensor is an element
 * offset into `heap`, nothing is copied.
 *
 * Multi-head attention on (B·T, D) tensors, heads in consecutive column blocks of hd = D/H:
 * each head's products and softmax run in one pass over its rows while its keys and values sit
 * in L1, instead of three BLAS calls and a softmax pass over all heads (fused-attention.ts). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* exp's range: inputs at or below -87 give exactly 0 (below that exp is subnormal, and subnormal
 * operands slow down every later product with them). */
#define EXP_MIN (-87.0f)
#define ROUNDER 12582912.0f /* 1.5·2^23: adding it rounds to an integer kept in the low bits */

/* Per-thread scratch, grown on demand. */
static _Thread_local float *scratch;
static _Thread_local size_t scratch_floats;

static float *scratch_of(size_t floats) {
  if (floats > scratch_floats) {
    free(scratch);
    scratch = malloc(floats * sizeof(float));
    scratch_floats = scratch ? floats : 0;
  }
  return scratch;
}

/* W-float vectors: the compiler maps them onto the widest registers the CPU has (one AVX-512
 * register, two AVX2 ones). Products are register-blocked R rows or columns at a time, so R
 * multiply-add chains run side by side instead of each waiting on the last. */
#define W 16
#define R 8
typedef float vf __attribute__((vector_size(W * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(W * sizeof(float))));

#define HOT static inline __attribute__((always_inline))

static inline vf vload(const float *p) {
  vf v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf vsplat(float x) { return (vf){0} + x; }
static inline vf vmax(vf a, vf b) {
  const vi gt = a > b;
  return (vf)(((vi)a & gt) | ((vi)b & ~gt));
}
static inline int padded(int n) { return (n + W - 1) / W * W; }

/* exp(x) on W lanes as the wasm kernel computes it (Cephes expf, relative error ~2e-7): 2^n times
 * a polynomial, n's bits shifted into the exponent field (the rounder's own bits shift out). */
static inline vf vexp(vf x) {
  const vi keep = x > vsplat(EXP_MIN);
  x = vmax(x, vsplat(EXP_MIN));
  const vf shifted = x * 1.44269504088896341f + ROUNDER;
  const vf fn = shifted - ROUNDER;
  vf r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  vf p = vsplat(1.987569150e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return (vf)(((vi)p + ((vi)shifted << 23)) & keep);
}

/* Lane reductions as a tree of shuffles (four steps instead of fifteen dependent ones). */
#define SWAP_HALVES(v) __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)
#define SWAP_QUARTERS(v) __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11)
#define SWAP_PAIRS(v) __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)
#define SWAP_LANES(v) __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14)

static inline float hmax(vf v) {
  v = vmax(v, SWAP_HALVES(v));
  v = vmax(v, SWAP_QUARTERS(v));
  v = vmax(v, SWAP_PAIRS(v));
  v = vmax(v, SWAP_LANES(v));
  return v[0];
}

static inline float hsum(vf v) {
  v += SWAP_HALVES(v);
  v += SWAP_QUARTERS(v);
  v += SWAP_PAIRS(v);
  v += SWAP_LANES(v);
  return v[0];
}

/* out[0, tk) = softmax of a padded row (tkp a multiple of W; pad lanes hold -1e30, so they get
 * 0); the row keeps the unnormalised exponentials. */
static inline void softmax_padded(float *row, int tkp, float *out, int tk) {
  vf m = vload(row);
  for (int j = W; j < tkp; j += W) m = vmax(m, vload(row + j));
  const vf mx = vsplat(hmax(m));
  vf sum = (vf){0};
  for (int j = 0; j < tkp; j += W) {
    const vf e = vexp(vload(row + j) - mx);
    vstore(row + j, e);
    sum += e;
  }
  const float inv = 1.0f / hsum(sum);
  int j = 0;
  for (; j + W <= tk; j += W) vstore(out + j, vload(row + j) * inv);
  for (; j < tk; j++) out[j] = row[j] * inv;
}

/* out[r][0, tkp) = bias + Σ_c a[r][c] · bt[c][·] for r < rows, bt hd × tkp packed. */
HOT void rows_times_packed(const float *a, int lda, const float *bt, int tkp, int hd, const float *bias, float *out, int ldo, const int rows) {
  for (int j = 0; j < tkp; j += W) {
    const vf b0 = bias ? vload(bias + j) : (vf){0};
    vf acc[R];
    for (int r = 0; r < rows; r++) acc[r] = b0;
    for (int c = 0; c < hd; c++) {
      const vf b = vload(bt + (size_t)c * tkp + j);
      for (int r = 0; r < rows; r++) acc[r] += a[(size_t)r * lda + c] * b;
    }
    for (int r = 0; r < rows; r++) vstore(out + (size_t)r * ldo + j, acc[r]);
  }
}

/* out[r][0, hdp) = Σ_j w(r, j) · m[j][·] for r < rows, where w(r, j) = w[r·step_r + j·step_j]:
 * w·m with (step_r, step_j) = (ldw, 1), wᵀ·m with (1, ldw). m rows at stride ldm, hdp a multiple of W. */
HOT void weighted_rows(const float *w, int step_r, int step_j, const float *m, int ldm, int count, int hdp, float *out, int ldo, const int rows) {
  for (int cb = 0; cb < hdp; cb += W) {
    vf acc[R];
    for (int r = 0; r < rows; r++) acc[r] = (vf){0};
    for (int j = 0; j < count; j++) {
      const vf mv = vload(m + (size_t)j * ldm + cb);
      for (int r = 0; r < rows; r++) acc[r] += w[(size_t)r * step_r + (size_t)j * step_j] * mv;
    }
    for (int r = 0; r < rows; r++) vstore(out + (size_t)r * ldo + cb, acc[r]);
  }
}

/* bt[c][j] = m[j][c] · scale for j < tk, 0 up to tkp. */
static void pack_transposed(const float *m, int ld, int tk, int tkp, int hd, float scale, float *bt) {
  for (int c = 0; c < hd; c++) {
    for (int j = 0; j < tk; j++) bt[(size_t)c * tkp + j] = m[(size_t)j * ld + c] * scale;
    for (int j = tk; j < tkp; j++) bt[(size_t)c * tkp + j] = 0;
  }
}

/* A head's column block (rows × hd at stride ld) for vector reads and writes: in place when hd
 * is a multiple of W, else a zero-padded rows × hdp copy (writes go there, then back). */
typedef struct {
  float *at;
  int ld;
} block;

static block readable(const float *m, int ld, int rows, int hd, int hdp, float *copy) {
  if (hd == hdp) return (block){(float *)m, ld};
  for (int r = 0; r < rows; r++) {
    memcpy(copy + (size_t)r * hdp, m + (size_t)r * ld, (size_t)hd * sizeof(float));
    memset(copy + (size_t)r * hdp + hd, 0, (size_t)(hdp - hd) * sizeof(float));
  }
  return (block){copy, hdp};
}

static inline block writable(float *m, int ld, int hd, int hdp, float *staging) { return hd == hdp ? (block){m, ld} : (block){staging, hdp}; }

static inline void written(block b, float *m, int ld, int rows, int hd) {
  if (b.at == m) return;
  for (int r = 0; r < rows; r++) memcpy(m + (size_t)r * ld, b.at + (size_t)r * b.ld, (size_t)hd * sizeof(float));
}

/* Calls body(n) for blocks of R, then one at a time for the rest (n is a constant in each, so
 * the blocked loops keep their accumulators in registers). */
#define IN_BLOCKS(index, count, body)         \
  for (int index = 0; index < (count);) {     \
    if ((count) - index >= R) {               \
      body(R);                                \
      index += R;                             \
    } else {                                  \
      body(1);                                \
      index += 1;                             \
    }                                         \
  }

static size_t forward_scratch(int tk, int tkp, int hd, int hdp) { return (size_t)(hd + 1 + R) * tkp + (size_t)(tk + R) * hdp; }

/* One head: scores, softmax, output. Q (tq rows), K and V (tk rows) at row stride d. */
static void head_forward(const float *Q, const float *K, const float *V, const float *bias, float *P, float *O, float *work, int tq, int tk, int d, int hd, float scale) {
  const int tkp = padded(tk), hdp = padded(hd);
  float *kt = work, *bp = kt + (size_t)hd * tkp, *S = bp + tkp, *vcopy = S + (size_t)R * tkp, *staging = vcopy + (size_t)tk * hdp;
  pack_transposed(K, d, tk, tkp, hd, scale, kt);
  for (int j = 0; j < tkp; j++) bp[j] = j >= tk ? -1e30f : bias ? bias[j] : 0;
  const block v = readable(V, d, tk, hd, hdp, vcopy);
#define ROWS(n)                                                                              \
  do {                                                                                       \
    rows_times_packed(Q + (size_t)i * d, d, kt, tkp, hd, bp, S, tkp, n);                     \
    for (int r = 0; r < n; r++) softmax_padded(S + (size_t)r * tkp, tkp, P + (size_t)(i + r) * tk, tk); \
    const block o = writable(O + (size_t)i * d, d, hd, hdp, staging);                        \
    weighted_rows(P + (size_t)i * tk, tk, 1, v.at, v.ld, tk, hdp, o.at, o.ld, n);            \
    written(o, O + (size_t)i * d, d, n, hd);                                                 \
  } while (0)
  IN_BLOCKS(i, tq, ROWS)
#undef ROWS
}

static size_t backward_scratch(int tq, int tk, int tkp, int hd, int hdp) { return (size_t)(hd + tq) * tkp + (size_t)(tk + 2 * tq + R) * hdp; }

/* One head: dv = pᵀ·dy, ds = p ⊙ (dy·vᵀ − rowsum) · scale, dq = ds·k, dk = dsᵀ·q. */
static void head_backward(const float *dY, const float *Q, const float *K, const float *V, const float *P, float *dQ, float *dK, float *dV, float *work, int tq, int tk, int d, int hd, float scale) {
  const int tkp = padded(tk), hdp = padded(hd);
  float *vt = work, *dS = vt + (size_t)hd * tkp, *kcopy = dS + (size_t)tq * tkp, *qcopy = kcopy + (size_t)tk * hdp, *gcopy = qcopy + (size_t)tq * hdp, *staging = gcopy + (size_t)tq * hdp;
  pack_transposed(V, d, tk, tkp, hd, 1.0f, vt);
  const block k = readable(K, d, tk, hd, hdp, kcopy), q = readable(Q, d, tq, hd, hdp, qcopy), g = readable(dY, d, tq, hd, hdp, gcopy);
#define ROWS(n)                                                                              \
  do {                                                                                       \
    float *ds = dS + (size_t)i * tkp;                                                        \
    rows_times_packed(dY + (size_t)i * d, d, vt, tkp, hd, NULL, ds, tkp, n);                 \
    for (int r = 0; r < n; r++) {                                                            \
      float *gr = ds + (size_t)r * tkp;                                                      \
      const float *p = P + (size_t)(i + r) * tk;                                             \
      float dot = 0;                                                                         \
      _Pragma("omp simd reduction(+ : dot)") for (int j = 0; j < tk; j++) dot += gr[j] * p[j]; \
      for (int j = 0; j < tk; j++) gr[j] = p[j] * (gr[j] - dot) * scale;                     \
    }                                                                                        \
    const block o = writable(dQ + (size_t)i * d, d, hd, hdp, staging);                       \
    weighted_rows(ds, tkp, 1, k.at, k.ld, tk, hdp, o.at, o.ld, n);                           \
    written(o, dQ + (size_t)i * d, d, n, hd);                                                \
  } while (0)
  IN_BLOCKS(i, tq, ROWS)
#undef ROWS
#define COLS(n)                                                                              \
  do {                                                                                       \
    const block ov = writable(dV + (size_t)j * d, d, hd, hdp, staging);                      \
    weighted_rows(P + j, 1, tk, g.at, g.ld, tq, hdp, ov.at, ov.ld, n);                       \
    written(ov, dV + (size_t)j * d, d, n, hd);                                               \
    const block ok = writable(dK + (size_t)j * d, d, hd, hdp, staging);                      \
    weighted_rows(dS + j, 1, tkp, q.at, q.ld, tq, hdp, ok.at, ok.ld, n);                     \
    written(ok, dK + (size_t)j * d, d, n, hd);                                               \
  } while (0)
  IN_BLOCKS(j, tk, COLS)
#undef COLS
}

/* Multi-head attention on (B·T, D) tensors, heads in consecutive column blocks of hd = D/H.
 * Offsets are in floats from `heap`; bias < 0: no mask, else one row of tk per sample; probs
 * (B, H, Tq, Tk). One thread: in a training step a second one (tried with OpenMP) woke too late
 * to pay. Returns 0, or -1 when scratch could not be allocated. */
int forge_attention_forward(float *heap, int b, int h, int tq, int tk, int d, float scale, int q, int k, int v, int bias, int probs, int out) {
  const int hd = d / h;
  float *work = scratch_of(forward_scratch(tk, padded(tk), hd, padded(hd)));
  if (!work) return -1;
  for (int head = 0; head < b * h; head++) {
    const int s = head / h, hh = head % h;
    const size_t qAt = (size_t)s * tq * d + hh * hd, kAt = (size_t)s * tk * d + hh * hd;
    const float *B = bias < 0 ? NULL : heap + bias + (size_t)s * tk;
    head_forward(heap + q + qAt, heap + k + kAt, heap + v + kAt, B, heap + probs + (size_t)head * tq * tk, heap + out + qAt, work, tq, tk, d, hd, scale);
  }
  return 0;
}

int forge_attention_backward(float *heap, int b, int h, int tq, int tk, int d, float scale, int dy, int q, int k, int v, int probs, int dq, int dk, int dv) {
  const int hd = d / h;
  float *work = scratch_of(backward_scratch(tq, tk, padded(tk), hd, padded(hd)));
  if (!work) return -1;
  for (int head = 0; head < b * h; head++) {
    const int s = head / h, hh = head % h;
    const size_t qAt = (size_t)s * tq * d + hh * hd, kAt = (size_t)s * tk * d + hh * hd;
    head_backward(heap + dy + qAt, heap + q + qAt, heap + k + kAt, heap + v + kAt, heap + probs + (size_t)head * tq * tk, heap + dq + qAt, heap + dk + kAt, heap + dv + kAt, work, tq, tk, d, hd, scale);
  }
  return 0;
}

/* y = x·σ(k·x) and its gradient dx = dy·(σ + k·x·σ·(1 − σ)): GELU in its sigmoid form (k = 1.702)
 * and SiLU (k = 1), as the wasm kernel (simd-gelu.ts) computes them: the exponent of σ is capped
 * at 80 so σ stays a normal float. */
static inline vf vsigmoid(vf x, float k) {
  const vf z = x * -k;
  const vi over = z > vsplat(80.0f);
  const vf capped = (vf)(((vi)vsplat(80.0f) & over) | ((vi)z & ~over));
  return vsplat(1.0f) / (vexp(capped) + 1.0f);
}

/* One element (the tails of the loops below): the vector form on one lane. */
static inline float sigmoid1(float x, float k) { return vsigmoid(vsplat(x), k)[0]; }

void forge_sigmoid_linear(float *heap, int x, int y, int n, float k) {
  const float *restrict xs = heap + x;
  float *restrict ys = heap + y;
  int i = 0;
  for (; i + W <= n; i += W) {
    const vf v = vload(xs + i);
    vstore(ys + i, v * vsigmoid(v, k));
  }
  for (; i < n; i++) ys[i] = xs[i] * sigmoid1(xs[i], k);
}

void forge_sigmoid_linear_grad(float *heap, int dy, int x, int dx, int n, float k) {
  const float *restrict dys = heap + dy, *restrict xs = heap + x;
  float *restrict dxs = heap + dx;
  int i = 0;
  for (; i + W <= n; i += W) {
    const vf v = vload(xs + i), s = vsigmoid(v, k);
    vstore(dxs + i, vload(dys + i) * (s + k * v * s * (1.0f - s)));
  }
  for (; i < n; i++) {
    const float s = sigmoid1(xs[i], k);
    dxs[i] = dys[i] * (s + k * xs[i] * s * (1.0f - s));
  }
}

/* Layer normalisation over rows of dim with an affine transform per group of perGroup rows, as
 * fused-norm.ts defines it: y = x̂·(offset + scale[g]) + shift[g], x̂ = (x − mean)/√(var + ε). */
static inline float row_mean(const float *restrict xs, int dim) {
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int d = 0; d < dim; d++) sum += xs[d];
  return sum / dim;
}

static inline float row_rstd(const float *restrict xs, int dim, float mean, float eps) {
  float var = 0;
#pragma omp simd reduction(+ : var)
  for (int d = 0; d < dim; d++) var += (xs[d] - mean) * (xs[d] - mean);
  return 1.0f / sqrtf(var / dim + eps);
}

void forge_norm_affine(float *heap, int x, int shift, int scale, int y, int rows, int dim, int per_group, float offset, float eps) {
  for (int r = 0; r < rows; r++) {
    const float *restrict xs = heap + x + (size_t)r * dim;
    const size_t g = (size_t)(r / per_group) * dim;
    const float *restrict sh = heap + shift + g, *restrict sc = heap + scale + g;
    float *restrict ys = heap + y + (size_t)r * dim;
    const float mean = row_mean(xs, dim), rstd = row_rstd(xs, dim, mean, eps);
#pragma omp simd
    for (int d = 0; d < dim; d++) ys[d] = (xs[d] - mean) * rstd * (offset + sc[d]) + sh[d];
  }
}

/* dx, and dshift / dscale accumulated into (zeroed here) per group. */
void forge_norm_affine_grad(float *heap, int dy, int x, int scale, int dx, int dshift, int dscale, int rows, int dim, int per_group, float offset, float eps) {
  memset(heap + dshift, 0, (size_t)(rows / per_group) * dim * sizeof(float));
  memset(heap + dscale, 0, (size_t)(rows / per_group) * dim * sizeof(float));
  for (int r = 0; r < rows; r++) {
    const float *restrict xs = heap + x + (size_t)r * dim, *restrict dys = heap + dy + (size_t)r * dim;
    const size_t g = (size_t)(r / per_group) * dim;
    const float *restrict sc = heap + scale + g;
    float *restrict dsh = heap + dshift + g, *restrict dsc = heap + dscale + g;
    float *restrict dxs = heap + dx + (size_t)r * dim;
    const float mean = row_mean(xs, dim), rstd = row_rstd(xs, dim, mean, eps);
    float mean_g = 0, mean_gx = 0;
#pragma omp simd reduction(+ : mean_g, mean_gx)
    for (int d = 0; d < dim; d++) {
      const float h = (xs[d] - mean) * rstd, gy = dys[d] * (offset + sc[d]);
      mean_g += gy;
      mean_gx += gy * h;
      dsh[d] += dys[d];
      dsc[d] += dys[d] * h;
    }
    mean_g /= dim;
    mean_gx /= dim;
#pragma omp simd
    for (int d = 0; d < dim; d++) {
      const float h = (xs[d] - mean) * rstd, gy = dys[d] * (offset + sc[d]);
      dxs[d] = rstd * (gy - mean_g - h * mean_gx);
    }
  }
}

/* Element-wise a ∘ b for ∘ in + − × ÷ (binary.ts), a broadcast mapped onto rows × cols:
 * out[r·cols + c] = a[r·a_rs + c·a_cs] ∘ b[r·b_rs + c·b_cs], column strides 0 or 1 (0 repeats an
 * operand along the row). The division is IEEE's, as the wasm kernel's: results are identical. */
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

HOT float apply_op(int op, float x, float y) {
  return op == OP_ADD ? x + y : op == OP_SUB ? x - y : op == OP_MUL ? x * y : x / y;
}

HOT void binary_rows(float *heap, int op, int a, int a_rs, int a_cs, int b, int b_rs, int b_cs, int out, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float *restrict as = heap + a + (size_t)r * a_rs, *restrict bs = heap + b + (size_t)r * b_rs;
    float *restrict os = heap + out + (size_t)r * cols;
#pragma omp simd
    for (int c = 0; c < cols; c++) os[c] = apply_op(op, as[c * a_cs], bs[c * b_cs]);
  }
}

/* One specialised loop per operation and pair of column strides (constants after inlining). */
#define BINARY_CASE(o, ac, bc) \
  case (o) * 4 + (ac) * 2 + (bc): \
    binary_rows(heap, o, a, a_rs, ac, b, b_rs, bc, out, rows, cols); \
    return 0;
#define BINARY_CASES(o) BINARY_CASE(o, 0, 0) BINARY_CASE(o, 0, 1) BINARY_CASE(o, 1, 0) BINARY_CASE(o, 1, 1)

int forge_binary(float *heap, int op, int a, int a_rs, int a_cs, int b, int b_rs, int b_cs, int out, int rows, int cols) {
  if (op < OP_ADD || op > OP_DIV || (a_cs | b_cs) & ~1) return -1;
  switch (op * 4 + a_cs * 2 + b_cs) {
    BINARY_CASES(OP_ADD)
    BINARY_CASES(OP_SUB)
    BINARY_CASES(OP_MUL)
    BINARY_CASES(OP_DIV)
  }
  return -1;
}

/* y = σ(x) = 1 / (1 + e^−x), the exponent capped at 80 as in vsigmoid. */
void forge_sigmoid(float *heap, int x, int y, int n) {
  const float *restrict xs = heap + x;
  float *restrict ys = heap + y;
  int i = 0;
  for (; i + W <= n; i += W) vstore(ys + i, vsigmoid(vload(xs + i), 1.0f));
  for (; i < n; i++) ys[i] = sigmoid1(xs[i], 1.0f);
}

/* out[o, i] = scale · Σ_r x[o, r, i] for a contiguous block of reduced axes (reduce.ts): Sum
 * (scale 1) and Mean (1/reduced). Rows of the block are added into the output row, which stays in
 * cache; a block at the end (inner 1) is one lane-parallel sum per row. */
void forge_reduce(float *heap, int x, int out, int outer, int reduced, int inner, float scale) {
  for (int o = 0; o < outer; o++) {
    const float *restrict xs = heap + x + (size_t)o * reduced * inner;
    float *restrict os = heap + out + (size_t)o * inner;
    if (inner == 1) {
      float sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int r = 0; r < reduced; r++) sum += xs[r];
      os[0] = sum * scale;
      continue;
    }
    memcpy(os, xs, (size_t)inner * sizeof(float));
    for (int r = 1; r < reduced; r++) {
      const float *restrict row = xs + (size_t)r * inner;
#pragma omp simd
      for (int i = 0; i < inner; i++) os[i] += row[i];
    }
    if (scale != 1.0f) {
#pragma omp simd
      for (int i = 0; i < inner; i++) os[i] *= scale;
    }
  }
}

/* Adam(W) over `count` variables at once (fused-optimizer.ts): `at` holds, per variable, the
 * offsets of p, g, m, v, p', m', v' (7 ints), `sizes` their element counts. The global gradient
 * norm comes first (double sums), then g' = g·scale; m' = β1·m + (1−β1)·g'; v' = β2·v + (1−β2)·g'²;
 * p' = (p − lr/c1 · m' / (√(v'/c2) + ε))·keep. Returns the norm before clipping. */
double forge_adam(float *heap, const int *at, const int *sizes, const float *keep, int count, float clip_norm, float beta1, float beta2, float lr_over_c1, float inv_c2, float eps) {
  double squares = 0;
  for (int i = 0; i < count; i++) {
    const float *restrict g = heap + at[7 * i + 1];
    float part = 0;
#pragma omp simd reduction(+ : part)
    for (int j = 0; j < sizes[i]; j++) part += g[j] * g[j];
    squares += part;
  }
  const double norm = sqrt(squares);
  const float scale = clip_norm > 0 ? (float)(clip_norm / (norm > clip_norm ? norm : clip_norm)) : 1.0f;
  for (int i = 0; i < count; i++) {
    const int *o = at + 7 * i;
    const float *restrict p = heap + o[0], *restrict g = heap + o[1], *restrict m = heap + o[2], *restrict v = heap + o[3];
    float *restrict po = heap + o[4], *restrict mo = heap + o[5], *restrict vo = heap + o[6];
    const float k = keep[i];
#pragma omp simd
    for (int j = 0; j < sizes[i]; j++) {
      const float gj = g[j] * scale;
      const float mj = beta1 * m[j] + (1 - beta1) * gj;
      const float vj = beta2 * v[j] + (1 - beta2) * gj * gj;
      mo[j] = mj;
      vo[j] = vj;
      po[j] = (p[j] - lr_over_c1 * mj / (sqrtf(vj * inv_c2) + eps)) * k;
    }
  }
  return norm;
}

/* out = e·decay + s·(1 − decay) for `count` tensors; `at` holds e, s, out per tensor. */
void forge_ema(float *heap, const int *at, const int *sizes, int count, float decay) {
  for (int i = 0; i < count; i++) {
    const float *restrict e = heap + at[3 * i], *restrict s = heap + at[3 * i + 1];
    float *restrict out = heap + at[3 * i + 2];
#pragma omp simd
    for (int j = 0; j < sizes[i]; j++) out[j] = e[j] * decay + s[j] * (1 - decay);
  }
}
