/*===- generate.c - Greedy generation through the retc C API -----*- C -*-===*
 *
 * The smallest complete program over runtime/retc.h: open a model package
 * with its safetensors checkpoint, prefill a prompt, then generate N tokens
 * greedily (argmax, lowest id on ties), printing the new token ids: the
 * first from the prompt's logits, the rest by retc_generate_greedy (on a
 * GPU package, decode replayed as one CUDA graph, each token chosen on the
 * device).
 *
 *   retc-generate-example MODEL.retpkg MODEL.safetensors N TOKEN...
 *
 * Built by examples/CMakeLists.txt against RetcRuntime (docs/runtime.md).
 *
 *===----------------------------------------------------------------------===*/
#include "runtime/retc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Parses a non-negative decimal integer that fits in `max`; -1 if not. */
static long long parseCount(const char *text, long long max) {
  char *end = NULL;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  if (errno || !*text || *end || value < 0 || value > max)
    return -1;
  return value;
}

static int32_t argmax(const float *logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best])
      best = i;
  return (int32_t)best;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s MODEL.retpkg MODEL.safetensors N TOKEN...\n",
            argv[0]);
    return 2;
  }
  long long steps = parseCount(argv[3], 1 << 20);
  if (steps < 1) {
    fprintf(stderr, "generate: N must be an integer in [1, 2^20], not '%s'\n",
            argv[3]);
    return 2;
  }
  int64_t promptLength = argc - 4;
  int32_t *prompt = malloc(sizeof(int32_t) * (size_t)promptLength);
  if (!prompt)
    return 1;
  for (int64_t i = 0; i < promptLength; ++i) {
    long long token = parseCount(argv[4 + i], INT32_MAX);
    if (token < 0) {
      fprintf(stderr, "generate: token %lld is '%s', not an id\n", (long long)i,
              argv[4 + i]);
      free(prompt);
      return 2;
    }
    prompt[i] = (int32_t)token;
  }

  retc_model *model = NULL;
  retc_state *state = NULL;
  float *logits = NULL;
  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)steps);
  int status = 1;
  if (retc_model_open(argv[1], argv[2], &model) != RETC_OK)
    goto fail;
  int64_t vocab = retc_model_vocab_size(model);
  logits = malloc(sizeof(float) * (size_t)vocab);
  if (!logits || !tokens) {
    fprintf(stderr, "generate: out of memory\n");
    goto done;
  }
  if (retc_state_new(model, &state) != RETC_OK)
    goto fail;
  /* The prompt at once (chunkwise), keeping only the last token's logits. */
  if (retc_prefill(model, state, prompt, promptLength, logits, vocab, 0) !=
      RETC_OK)
    goto fail;
  /* The first new token from the prompt's logits, then one recurrent step
   * per new token. */
  tokens[0] = argmax(logits, vocab);
  if (retc_generate_greedy(model, state, tokens[0], steps - 1, tokens + 1,
                           logits, vocab) != RETC_OK)
    goto fail;
  for (long long step = 0; step < steps; ++step)
    printf("%s%d", step ? " " : "", tokens[step]);
  printf("\n");
  status = 0;
  goto done;

fail:
  fprintf(stderr, "generate: %s\n", retc_last_error());
done:
  retc_state_free(state);
  retc_model_close(model);
  free(logits);
  free(tokens);
  free(prompt);
  return status;
}
