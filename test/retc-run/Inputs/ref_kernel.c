/*===- ref_kernel.c - A hand-written retention kernel for retc-run tests --===*
 *
 * Test-only stand-in for a compiled kernel, so that retc-run's end-to-end
 * tests do not depend on the compiler. Recurrent form in float, with the
 * problem size and element type fixed at compile time:
 *   cc -shared -fPIC -DDIM_B=2 -DDIM_T=5 -DDIM_H=3 -DDIM_K=4 -DDIM_V=6
 *      [-DELEM_BF16|-DELEM_F16] [-DHAS_S0] ref_kernel.c -o k.so
 * Exports retention_chunkwise_retc_abi (KernelABI.h: one pointer per
 * parameter, q k v [s0] o state) and retention_nowrite_retc_abi, which
 * writes o but forgets state (to test output poisoning).
 *
 *===----------------------------------------------------------------------===*/
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(ELEM_BF16) || defined(ELEM_F16)
typedef uint16_t elem_t;
#else
typedef float elem_t;
#endif

static float load(const elem_t *p, long i) {
#if defined(ELEM_BF16)
  uint32_t bits = (uint32_t)p[i] << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
#elif defined(ELEM_F16)
  _Float16 h;
  memcpy(&h, &p[i], 2);
  return (float)h;
#else
  return p[i];
#endif
}

static void store(elem_t *p, long i, float f) {
#if defined(ELEM_BF16)
  uint32_t bits;
  memcpy(&bits, &f, 4);
  bits += 0x7fffu + ((bits >> 16) & 1u); /* round to nearest even */
  p[i] = (uint16_t)(bits >> 16);
#elif defined(ELEM_F16)
  _Float16 h = (_Float16)f;
  memcpy(&p[i], &h, 2);
#else
  p[i] = f;
#endif
}

enum { B = DIM_B, T = DIM_T, H = DIM_H, K = DIM_K, V = DIM_V };

static void compute(void **args, int writeState) {
  int a = 0;
  const elem_t *q = args[a++], *k = args[a++], *v = args[a++];
#ifdef HAS_S0
  const float *s0 = args[a++];
#endif
  elem_t *o = args[a++];
  float *state = args[a++];
  float scale = 1.0f / sqrtf((float)K);

#pragma omp parallel for
  for (int bh = 0; bh < B * H; ++bh) {
    int b = bh / H, h = bh % H;
    float gamma = 1.0f - ldexpf(1.0f, -5 - h);
    float S[K][V];
    for (int i = 0; i < K; ++i)
      for (int j = 0; j < V; ++j)
#ifdef HAS_S0
        S[i][j] = s0[((b * H + h) * K + i) * V + j];
#else
        S[i][j] = 0.0f;
#endif
    for (int t = 0; t < T; ++t) {
      long qk = ((long)(b * T + t) * H + h) * K, vo = ((long)(b * T + t) * H + h) * V;
      for (int i = 0; i < K; ++i)
        for (int j = 0; j < V; ++j)
          S[i][j] = gamma * S[i][j] + load(k, qk + i) * load(v, vo + j);
      for (int j = 0; j < V; ++j) {
        float acc = 0.0f;
        for (int i = 0; i < K; ++i)
          acc += load(q, qk + i) * S[i][j];
        store(o, vo + j, scale * acc);
      }
    }
    if (writeState)
      for (int i = 0; i < K; ++i)
        for (int j = 0; j < V; ++j)
          state[((b * H + h) * K + i) * V + j] = S[i][j];
  }
}

void retention_chunkwise_retc_abi(void **args) { compute(args, 1); }
void retention_nowrite_retc_abi(void **args) { compute(args, 0); }
