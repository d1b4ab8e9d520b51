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

/* exp(x) as the wasm kernel computes it (Cephes expf, relative error ~2e-7), written so the
 * compiler vectorises it; inputs at or below -87 give exactly 0: below that exp is subnormal,
 * and subnormal operands slow down every later product with them. */
#define EXP_MIN (-87.0f)
#define ROUNDER 12582912.0f /* 1.5·2^23: adding it rounds to an integer kept in the low bits */

static inline float exp_cephes(float x) {
  const float keep = x > EXP_MIN ? 1.0f : 0.0f;
  x = x > EXP_MIN ? x : EXP_MIN;
  const float shifted = x * 1.44269504088896341f + ROUNDER;
  uint32_t n;
  memcpy(&n, &shifted, 4);
  const float fn = shifted - ROUNDER;
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.987569150e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  uint32_t bits;
  memcpy(&bits, &p, 4);
  bits += n << 23; /* × 2^n: the rounder's own bits shift out */
  memcpy(&p, &bits, 4);
  return p * keep;
}

/* Per-thread scratch, grown on demand: a head's transposed keys (or values) and one row. */
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

/* row = softmax(row) in place; returns nothing, rows of any length. */
static inline void softmax_row(float *restrict row, int tk) {
  float max = row[0];
#pragma omp simd reduction(max : max)
  for (int j = 1; j < tk; j++) max = row[j] > max ? row[j] : max;
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < tk; j++) {
    const float e = exp_cephes(row[j] - max);
    row[j] = e;
    sum += e;
  }
  const float inv = 1.0f / sum;
  for (int j = 0; j < tk; j++) row[j] *= inv;
}

/* One head forward. Q (tq rows), K and V (tk rows) with row stride d; kt: hd × tk scratch. */
static inline __attribute__((always_inline)) void head_forward(const float *restrict Q, const float *restrict K, const float *restrict V, const float *restrict bias, float *restrict P, float *restrict O, float *restrict kt, int tq, int tk, int d, const int hd, float scale) {
  /* kᵀ with the scale folded in, so each score row is a sum of hd scaled rows of kᵀ */
  for (int j = 0; j < tk; j++)
    for (int c = 0; c < hd; c++) kt[c * tk + j] = K[j * d + c] * scale;
  for (int i = 0; i < tq; i++) {
    float *restrict row = P + (size_t)i * tk;
    const float *restrict q = Q + (size_t)i * d;
    if (bias)
      for (int j = 0; j < tk; j++) row[j] = bias[j];
    else
      for (int j = 0; j < tk; j++) row[j] = 0;
    for (int c = 0; c < hd; c++) {
      const float qc = q[c];
      const float *restrict kc = kt + c * tk;
      for (int j = 0; j < tk; j++) row[j] += qc * kc[j];
    }
    softmax_row(row, tk);
    float *restrict o = O + (size_t)i * d;
    for (int c = 0; c < hd; c++) o[c] = 0;
    for (int j = 0; j < tk; j++) {
      const float pj = row[j];
      const float *restrict vj = V + (size_t)j * d;
      for (int c = 0; c < hd; c++) o[c] += pj * vj[c];
    }
  }
}

/* One head backward: dv = pᵀ·dy, ds = p ⊙ (dy·vᵀ − rowsum) · scale, dq = ds·k, dk = dsᵀ·q.
 * vt: hd × tk scratch, ds: tk scratch. */
static inline __attribute__((always_inline)) void head_backward(const float *restrict dY, const float *restrict Q, const float *restrict K, const float *restrict V, const float *restrict P, float *restrict dQ, float *restrict dK, float *restrict dV, float *restrict vt, float *restrict ds, int tq, int tk, int d, const int hd, float scale) {
  for (int j = 0; j < tk; j++) {
    for (int c = 0; c < hd; c++) {
      vt[c * tk + j] = V[j * d + c];
      dK[(size_t)j * d + c] = 0;
      dV[(size_t)j * d + c] = 0;
    }
  }
  for (int i = 0; i < tq; i++) {
    const float *restrict p = P + (size_t)i * tk;
    const float *restrict g = dY + (size_t)i * d;
    const float *restrict q = Q + (size_t)i * d;
    for (int j = 0; j < tk; j++) {
      const float pj = p[j];
      float *restrict dv = dV + (size_t)j * d;
      for (int c = 0; c < hd; c++) dv[c] += pj * g[c];
    }
    for (int j = 0; j < tk; j++) ds[j] = 0;
    for (int c = 0; c < hd; c++) {
      const float gc = g[c];
      const float *restrict vc = vt + c * tk;
      for (int j = 0; j < tk; j++) ds[j] += gc * vc[j];
    }
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < tk; j++) dot += ds[j] * p[j];
    for (int j = 0; j < tk; j++) ds[j] = p[j] * (ds[j] - dot) * scale;
    float *restrict dq = dQ + (size_t)i * d;
    for (int c = 0; c < hd; c++) dq[c] = 0;
    for (int j = 0; j < tk; j++) {
      const float sj = ds[j];
      const float *restrict kj = K + (size_t)j * d;
      float *restrict dk = dK + (size_t)j * d;
      for (int c = 0; c < hd; c++) {
        dq[c] += sj * kj[c];
        dk[c] += sj * q[c];
      }
    }
  }
}

/* Heads whose width is a multiple of W: the products as register-blocked loops on W-float
 * vectors (the compiler maps them onto the widest registers the CPU has), R rows or columns at a
 * time so R multiply-add chains run side by side instead of one waiting on the last. */
#define W 16
#define R 8
typedef float vf __attribute__((vector_size(W * sizeof(float))));

typedef int32_t vi __attribute__((vector_size(W * sizeof(float))));

static inline vf vsplat(float x) { return (vf){0} + x; }
static inline vf vmax(vf a, vf b) {
  const vi gt = a > b;
  return (vf)(((vi)a & gt) | ((vi)b & ~gt));
}

/* exp_cephes on W lanes. */
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

static inline vf vload(const float *p);
static inline void vstore(float *p, vf v);

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

static inline vf vload(const float *p) {
  vf v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }

#define HOT static inline __attribute__((always_inline))

/* out[r][0, tkp) = bias + Σ_c a[r][c] · bt[c][·] for r < rows: a·btᵀᵀ with bt hd × tkp packed. */
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

/* out[r][0, hd) = Σ_j w[r][j] · m[j][·] for r < rows (m rows at stride ldm). */
HOT void rows_times(const float *w, int ldw, const float *m, int ldm, int tk, int hd, float *out, int ldo, const int rows) {
  for (int cb = 0; cb < hd; cb += W) {
    vf acc[R];
    for (int r = 0; r < rows; r++) acc[r] = (vf){0};
    for (int j = 0; j < tk; j++) {
      const vf mv = vload(m + (size_t)j * ldm + cb);
      for (int r = 0; r < rows; r++) acc[r] += w[(size_t)r * ldw + j] * mv;
    }
    for (int r = 0; r < rows; r++) vstore(out + (size_t)r * ldo + cb, acc[r]);
  }
}

/* out[r][0, hd) = Σ_i w[i][r] · m[i][·] for r < cols: wᵀ·m for `cols` columns of w. */
HOT void cols_times(const float *w, int ldw, const float *m, int ldm, int tq, int hd, float *out, int ldo, const int cols) {
  for (int cb = 0; cb < hd; cb += W) {
    vf acc[R];
    for (int r = 0; r < cols; r++) acc[r] = (vf){0};
    for (int i = 0; i < tq; i++) {
      const vf mv = vload(m + (size_t)i * ldm + cb);
      for (int r = 0; r < cols; r++) acc[r] += w[(size_t)i * ldw + r] * mv;
    }
    for (int r = 0; r < cols; r++) vstore(out + (size_t)r * ldo + cb, acc[r]);
  }
}

/* bt[c][j] = m[j][c] · scale for j < tk, 0 up to tkp. */
static void pack_transposed(const float *m, int ld, int tk, int tkp, int hd, float scale, float *bt) {
  for (int c = 0; c < hd; c++) {
    for (int j = 0; j < tk; j++) bt[(size_t)c * tkp + j] = m[(size_t)j * ld + c] * scale;
    for (int j = tk; j < tkp; j++) bt[(size_t)c * tkp + j] = 0;
  }
}

/* Scratch: kᵀ (hd × tkp), the bias row (tkp), R score rows (R × tkp). */
static void head_forward_blocked(const float *Q, const float *K, const float *V, const float *bias, float *P, float *O, float *scratch, int tq, int tk, int tkp, int d, int hd, float scale) {
  float *kt = scratch, *bp = kt + (size_t)hd * tkp, *S = bp + tkp;
  pack_transposed(K, d, tk, tkp, hd, scale, kt);
  for (int j = 0; j < tkp; j++) bp[j] = j >= tk ? -1e30f : bias ? bias[j] : 0;
  for (int i = 0; i < tq;) {
    const int rows = tq - i >= R ? R : 1;
    if (rows == R) rows_times_packed(Q + (size_t)i * d, d, kt, tkp, hd, bp, S, tkp, R);
    else rows_times_packed(Q + (size_t)i * d, d, kt, tkp, hd, bp, S, tkp, 1);
    for (int r = 0; r < rows; r++) softmax_padded(S + (size_t)r * tkp, tkp, P + (size_t)(i + r) * tk, tk);
    if (rows == R) rows_times(P + (size_t)i * tk, tk, V, d, tk, hd, O + (size_t)i * d, d, R);
    else rows_times(P + (size_t)i * tk, tk, V, d, tk, hd, O + (size_t)i * d, d, 1);
    i += rows;
  }
}

/* Scratch: vᵀ (hd × tkp), dL/dscores (tq × tkp). */
static void head_backward_blocked(const float *dY, const float *Q, const float *K, const float *V, const float *P, float *dQ, float *dK, float *dV, float *scratch, int tq, int tk, int tkp, int d, int hd, float scale) {
  float *vt = scratch, *dS = vt + (size_t)hd * tkp;
  pack_transposed(V, d, tk, tkp, hd, 1.0f, vt);
  for (int i = 0; i < tq;) {
    const int rows = tq - i >= R ? R : 1;
    float *ds = dS + (size_t)i * tkp;
    if (rows == R) rows_times_packed(dY + (size_t)i * d, d, vt, tkp, hd, NULL, ds, tkp, R);
    else rows_times_packed(dY + (size_t)i * d, d, vt, tkp, hd, NULL, ds, tkp, 1);
    for (int r = 0; r < rows; r++) {
      float *g = ds + (size_t)r * tkp;
      const float *p = P + (size_t)(i + r) * tk;
      float dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int j = 0; j < tk; j++) dot += g[j] * p[j];
      for (int j = 0; j < tk; j++) g[j] = p[j] * (g[j] - dot) * scale;
    }
    if (rows == R) rows_times(ds, tkp, K, d, tk, hd, dQ + (size_t)i * d, d, R);
    else rows_times(ds, tkp, K, d, tk, hd, dQ + (size_t)i * d, d, 1);
    i += rows;
  }
  for (int j = 0; j < tk;) {
    const int cols = tk - j >= R ? R : 1;
    if (cols == R) {
      cols_times(P + j, tk, dY, d, tq, hd, dV + (size_t)j * d, d, R);
      cols_times(dS + j, tkp, Q, d, tq, hd, dK + (size_t)j * d, d, R);
    } else {
      cols_times(P + j, tk, dY, d, tq, hd, dV + (size_t)j * d, d, 1);
      cols_times(dS + j, tkp, Q, d, tq, hd, dK + (size_t)j * d, d, 1);
    }
    j += cols;
  }
}

static inline int padded(int n) { return (n + W - 1) / W * W; }

/* Offsets are in floats from `heap`; bias < 0: no mask, else one row of tk per sample. One
 * thread: in a training step a second one (OpenMP) wakes too late to pay (see README).
 * Returns 0, or -1 when scratch could not be allocated. */
int forge_attention_forward(float *heap, int b, int h, int tq, int tk, int d, float scale, int q, int k, int v, int bias, int probs, int out) {
  const int hd = d / h, tkp = padded(tk), blocked = hd % W == 0;
  const size_t work_floats = blocked ? (size_t)(hd + 1 + R) * tkp : (size_t)hd * tk;
  float *work = scratch_of(work_floats);
  if (!work) return -1;
  for (int head = 0; head < b * h; head++) {
    const int s = head / h, hh = head % h;
    const float *Q = heap + q + (size_t)s * tq * d + hh * hd;
    const float *K = heap + k + (size_t)s * tk * d + hh * hd;
    const float *V = heap + v + (size_t)s * tk * d + hh * hd;
    const float *B = bias < 0 ? NULL : heap + bias + (size_t)s * tk;
    float *P = heap + probs + (size_t)head * tq * tk;
    float *O = heap + out + (size_t)s * tq * d + hh * hd;
    if (blocked) head_forward_blocked(Q, K, V, B, P, O, work, tq, tk, tkp, d, hd, scale);
    else head_forward(Q, K, V, B, P, O, work, tq, tk, d, hd, scale);
  }
  return 0;
}

int forge_attention_backward(float *heap, int b, int h, int tq, int tk, int d, float scale, int dy, int q, int k, int v, int probs, int dq, int dk, int dv) {
  const int hd = d / h, tkp = padded(tk), blocked = hd % W == 0;
  const size_t work_floats = blocked ? (size_t)(hd + tq) * tkp : (size_t)hd * tk + tk;
  float *work = scratch_of(work_floats);
  if (!work) return -1;
  for (int head = 0; head < b * h; head++) {
    const int s = head / h, hh = head % h;
    const size_t qAt = (size_t)s * tq * d + hh * hd, kAt = (size_t)s * tk * d + hh * hd;
    const float *P = heap + probs + (size_t)head * tq * tk;
    if (blocked) head_backward_blocked(heap + dy + qAt, heap + q + qAt, heap + k + kAt, heap + v + kAt, P, heap + dq + qAt, heap + dk + kAt, heap + dv + kAt, work, tq, tk, tkp, d, hd, scale);
    else head_backward(heap + dy + qAt, heap + q + qAt, heap + k + kAt, heap + v + kAt, P, heap + dq + qAt, heap + dk + kAt, heap + dv + kAt, work, work + (size_t)hd * tk, tq, tk, d, hd, scale);
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

static inline float sigmoid1(float x, float k) {
  float z = x * -k;
  z = z > 80.0f ? 80.0f : z;
  return 1.0f / (exp_cephes(z) + 1.0f);
}

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

/* out = a + b over n floats (the gradient sums tfjs adds up, same shapes). */
void forge_add(float *heap, int a, int b, int out, int n) {
  const float *restrict as = heap + a, *restrict bs = heap + b;
  float *restrict os = heap + out;
#pragma omp simd
  for (int i = 0; i < n; i++) os[i] = as[i] + bs[i];
}
