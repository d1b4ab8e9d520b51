/* Native single-precision GEMM rate on this machine (OpenBLAS), the baseline for tfjs figures.
 * usage: sgemm M N K THREADS RUNS  ->  prints one JSON line with the median GFLOP/s.
 * C[M,N] = A[M,K] * B[K,N], row-major, no transposes. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s M N K THREADS RUNS\n", argv[0]);
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
  for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (float)((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
  for (size_t i = 0; i < (size_t)k * n; i++) b[i] = (float)((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
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
  qsort(rates, runs, sizeof(double), by_value);
  const double median = runs % 2 ? rates[runs / 2] : (rates[runs / 2 - 1] + rates[runs / 2]) / 2;
  printf("{\"m\":%d,\"n\":%d,\"k\":%d,\"threads\":%d,\"gflops\":%.3f,\"checksum\":%.6g}\n", m, n, k, threads, median, (double)c[0]);
  free(a);
  free(b);
  free(c);
  free(rates);
  return 0;
}
