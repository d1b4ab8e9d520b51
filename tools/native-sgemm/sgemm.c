/* Native single-precision GEMM rate on this machine (OpenBLAS), the baseline for tfjs figures.
 * usage: sgemm M N K THREADS RUNS  ->  prints one JSON line with the median GFLOP/s.
 *        C[M,N] = A[M,K] * B[K,N], row-major, no transposes.
 * usage: sgemm --list THREADS RUNS MIN_MS  ->  reads lines "BATCH M N K TA TB BA BB" from stdin and
 *        prints one JSON line per product with the median milliseconds of one call: BATCH products
 *        op(A_i)[M,K] * op(B_i)[K,N] (op = transpose when TA/TB is 1); BA/BB = 0 when that operand
 *        is shared by the whole batch. Each timed run repeats the call until MIN_MS have passed. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void openblas_set_num_threads(int);

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_of(double *values, int n) {
  qsort(values, n, sizeof(double), by_value);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static void fill(float *x, size_t n, unsigned *state) {
  for (size_t i = 0; i < n; i++) x[i] = (float)((*state = *state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
}

typedef struct {
  int batch, m, n, k, ta, tb, ba, bb;
  const float *a, *b;
  float *c;
} product;

static void run_product(const product *p) {
  const size_t a_step = p->ba ? (size_t)p->m * p->k : 0, b_step = p->bb ? (size_t)p->k * p->n : 0, c_step = (size_t)p->m * p->n;
  for (int i = 0; i < p->batch; i++) {
    cblas_sgemm(CblasRowMajor, p->ta ? CblasTrans : CblasNoTrans, p->tb ? CblasTrans : CblasNoTrans, p->m, p->n, p->k, 1.0f,
                p->a + i * a_step, p->ta ? p->m : p->k, p->b + i * b_step, p->tb ? p->k : p->n, 0.0f, p->c + i * c_step, p->n);
  }
}

static int list_mode(int threads, int runs, double min_ms) {
  double *times = malloc(sizeof(double) * runs);
  char line[256];
  unsigned state = 12345;
  while (fgets(line, sizeof line, stdin)) {
    product p;
    if (strspn(line, " \t\r\n") == strlen(line)) continue;
    if (sscanf(line, "%d %d %d %d %d %d %d %d", &p.batch, &p.m, &p.n, &p.k, &p.ta, &p.tb, &p.ba, &p.bb) != 8 || p.batch <= 0 || p.m <= 0 || p.n <= 0 || p.k <= 0) {
      fprintf(stderr, "bad product line (want BATCH M N K TA TB BA BB, positive sizes): %s", line);
      return 2;
    }
    const size_t a_size = (size_t)(p.ba ? p.batch : 1) * p.m * p.k, b_size = (size_t)(p.bb ? p.batch : 1) * p.k * p.n;
    float *a = malloc(sizeof(float) * a_size), *b = malloc(sizeof(float) * b_size), *c = malloc(sizeof(float) * (size_t)p.batch * p.m * p.n);
    if (!a || !b || !c) {
      fprintf(stderr, "out of memory\n");
      return 1;
    }
    fill(a, a_size, &state);
    fill(b, b_size, &state);
    p.a = a;
    p.b = b;
    p.c = c;
    run_product(&p);
    for (int r = 0; r < runs; r++) {
      int reps = 0;
      const double t0 = now_seconds();
      double t1;
      do {
        run_product(&p);
        reps++;
        t1 = now_seconds();
      } while ((t1 - t0) * 1e3 < min_ms);
      times[r] = (t1 - t0) * 1e3 / reps;
    }
    printf("{\"batch\":%d,\"m\":%d,\"n\":%d,\"k\":%d,\"ta\":%d,\"tb\":%d,\"ba\":%d,\"bb\":%d,\"threads\":%d,\"ms\":%.6f,\"checksum\":%.6g}\n", p.batch, p.m, p.n, p.k, p.ta, p.tb,
           p.ba, p.bb, threads, median_of(times, runs), (double)c[0]);
    fflush(stdout);
    free(a);
    free(b);
    free(c);
  }
  free(times);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "--list") == 0) {
    const int threads = atoi(argv[2]), runs = atoi(argv[3]);
    const double min_ms = atof(argv[4]);
    if (threads <= 0 || runs <= 0 || !(min_ms > 0)) {
      fprintf(stderr, "--list THREADS RUNS MIN_MS: all must be positive\n");
      return 2;
    }
    openblas_set_num_threads(threads);
    return list_mode(threads, runs, min_ms);
  }
  if (argc != 6) {
    fprintf(stderr, "usage: %s M N K THREADS RUNS | %s --list THREADS RUNS MIN_MS < products\n", argv[0], argv[0]);
    return 2;
  }
  const int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
  const int threads = atoi(argv[4]), runs = atoi(argv[5]);
  if (m <= 0 || n <= 0 || k <= 0 || threads <= 0 || runs <= 0) {
    fprintf(stderr, "all arguments must be positive integers\n");
    return 2;
  }
  openblas_set_num_threads(threads);
  float *a = malloc(sizeof(float) * (size_t)m * k);
  float *b = malloc(sizeof(float) * (size_t)k * n);
  float *c = malloc(sizeof(float) * (size_t)m * n);
  double *rates = malloc(sizeof(double) * runs);
  if (!a || !b || !c || !rates) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  unsigned state = 12345;
  fill(a, (size_t)m * k, &state);
  fill(b, (size_t)k * n, &state);
  const double flops = 2.0 * m * n * k;
  /* Each timed run repeats the product until it has taken at least 50 ms, so small shapes
   * are not measured at the clock's resolution. */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
  for (int r = 0; r < runs; r++) {
    int reps = 0;
    const double t0 = now_seconds();
    double t1;
    do {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
      reps++;
      t1 = now_seconds();
    } while (t1 - t0 < 0.05);
    rates[r] = flops * reps / (t1 - t0) / 1e9;
  }
  printf("{\"m\":%d,\"n\":%d,\"k\":%d,\"threads\":%d,\"gflops\":%.3f,\"checksum\":%.6g}\n", m, n, k, threads, median_of(rates, runs), (double)c[0]);
  free(a);
  free(b);
  free(c);
  free(rates);
  return 0;
}
