/*===- serve.c - A batched greedy serving loop through the retc C API -*- C -*-===*
 *
 * Several prompts generated together, the way a server does it: the prompts
 * join a batch together (retc_batch_join_prompts: on a cpu package one
 * call prefills them all, packed one after another), each one's first token
 * its prompt's greedy next token; the batch's sequences
 * then generate together (retc_batch_generate_greedy: the greedy tokens
 * chosen where the model runs, on a GPU the step replayed as one CUDA
 * graph) for as many steps as the sequence nearest its end needs; prompt i
 * generates N + i tokens, so sequences finish at different steps and leave
 * (retc_batch_leave, the last row moving into the hole) between rounds,
 * their states copied out; each then generates 3 more tokens alone from
 * its copied-out state (retc_generate_greedy), so that a state that left
 * wrong shows. Prints each prompt's N + i + 3 new token ids, one line a
 * prompt, in the order given.
 *
 *   retc-serve-example MODEL.retpkg MODEL.safetensors N PROMPT...
 *
 * PROMPT: comma-separated ids, e.g. 5,17,3. The package must have been
 * compiled with retc --max-batch=M for M >= the number of prompts.
 *
 *===----------------------------------------------------------------------===*/
#include "runtime/retc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a non-negative decimal integer that fits in `max`; -1 if not. */
static long long parseCount(const char *text, long long max) {
  char *end = NULL;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  if (errno || !*text || *end || value < 0 || value > max)
    return -1;
  return value;
}

/* The ids of "5,17,3" into a new array; its length in *count; NULL if the
 * text is not such a list. */
static int32_t *parsePrompt(const char *text, int64_t *count) {
  int64_t n = 1;
  for (const char *c = text; *c; ++c)
    n += *c == ',';
  int32_t *ids = malloc(sizeof(int32_t) * (size_t)n);
  char *copy = strdup(text);
  if (!ids || !copy) {
    free(ids);
    free(copy);
    return NULL;
  }
  int64_t i = 0;
  for (char *item = copy, *next; item; item = next, ++i) {
    next = strchr(item, ',');
    if (next)
      *next++ = '\0';
    long long id = parseCount(item, INT32_MAX);
    if (id < 0) {
      free(ids);
      free(copy);
      return NULL;
    }
    ids[i] = (int32_t)id;
  }
  free(copy);
  *count = n;
  return ids;
}

/* Tokens each sequence generates alone after it leaves the batch. */
enum { kAlone = 3 };

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr,
            "usage: %s MODEL.retpkg MODEL.safetensors N PROMPT...\n",
            argv[0]);
    return 2;
  }
  long long steps = parseCount(argv[3], 1 << 20);
  if (steps < 1) {
    fprintf(stderr, "serve: N must be an integer in [1, 2^20], not '%s'\n",
            argv[3]);
    return 2;
  }
  int64_t prompts = argc - 4;

  retc_model *model = NULL;
  retc_batch *batch = NULL;
  float *logits = NULL;
  int32_t **out = calloc((size_t)prompts, sizeof(int32_t *));
  retc_state **finals = calloc((size_t)prompts, sizeof(retc_state *));
  int64_t *made = calloc((size_t)prompts, sizeof(int64_t));
  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)prompts);
  int64_t *lengths = malloc(sizeof(int64_t) * (size_t)prompts);
  int64_t *ids = malloc(sizeof(int64_t) * (size_t)prompts);
  int32_t *packed = NULL;
  int64_t total = 0;
  int status = 1;
  if (!out || !finals || !made || !tokens || !lengths || !ids) {
    fprintf(stderr, "serve: out of memory\n");
    goto done;
  }
  if (retc_model_open(argv[1], argv[2], &model) != RETC_OK)
    goto fail;
  if (retc_model_max_batch(model) < prompts) {
    fprintf(stderr,
            "serve: %s takes at most %lld sequences a step (retc "
            "--max-batch), not %lld\n",
            argv[1], (long long)retc_model_max_batch(model),
            (long long)prompts);
    goto done;
  }
  int64_t vocab = retc_model_vocab_size(model);
  logits = malloc(sizeof(float) * (size_t)vocab);
  if (!logits)
    goto done;
  if (retc_batch_new(model, &batch) != RETC_OK)
    goto fail;

  /* The prompts packed one after another, joining together, each tagged
   * with its index; each one's first token is its greedy next token. */
  for (int64_t p = 0; p < prompts; ++p) {
    int64_t length = 0;
    int32_t *prompt = parsePrompt(argv[4 + p], &length);
    if (!prompt) {
      fprintf(stderr, "serve: prompt %lld is '%s', not ids such as 5,17,3\n",
              (long long)p, argv[4 + p]);
      goto done;
    }
    int32_t *grown = realloc(packed, sizeof(int32_t) * (size_t)(total + length));
    if (grown)
      packed = grown;
    out[p] = malloc(sizeof(int32_t) * (size_t)(steps + p + kAlone));
    if (!grown || !out[p]) {
      free(prompt);
      fprintf(stderr, "serve: out of memory\n");
      goto done;
    }
    memcpy(packed + total, prompt, sizeof(int32_t) * (size_t)length);
    free(prompt);
    total += length;
    lengths[p] = length;
    ids[p] = p;
  }
  if (retc_batch_join_prompts(model, batch, packed, lengths, ids, prompts,
                              NULL, 0, tokens) != RETC_OK)
    goto fail;
  for (int64_t p = 0; p < prompts; ++p)
    out[p][made[p]++] = tokens[p];

  /* Rounds: a sequence with all its tokens leaves (rows from the last
   * down, so a row moved into a hole has been looked at already); then
   * every row generates together for as many steps as the one closest to
   * its end still needs, in one call (on a GPU, replays of one CUDA
   * graph); the first of them is fed each row's last token. */
  while (retc_batch_size(batch) > 0) {
    int64_t rows = retc_batch_size(batch);
    for (int64_t b = rows; b-- > 0;) {
      int64_t p = retc_batch_id(batch, b);
      if (made[p] == steps + p &&
          (retc_state_new(model, &finals[p]) != RETC_OK ||
           retc_batch_leave(model, batch, b, finals[p]) != RETC_OK))
        goto fail;
    }
    rows = retc_batch_size(batch);
    if (rows == 0)
      break;
    int64_t span = -1;
    for (int64_t b = 0; b < rows; ++b) {
      int64_t p = retc_batch_id(batch, b);
      tokens[b] = out[p][made[p] - 1];
      if (span < 0 || steps + p - made[p] < span)
        span = steps + p - made[p];
    }
    int32_t *generated = malloc(sizeof(int32_t) * (size_t)(span * rows));
    if (!generated)
      goto done;
    if (retc_batch_generate_greedy(model, batch, tokens, span, generated) !=
        RETC_OK) {
      free(generated);
      goto fail;
    }
    for (int64_t i = 0; i < span; ++i)
      for (int64_t b = 0; b < rows; ++b) {
        int64_t p = retc_batch_id(batch, b);
        out[p][made[p]++] = generated[i * rows + b];
      }
    free(generated);
  }
  /* Each sequence on alone from the state it left with. */
  for (int64_t p = 0; p < prompts; ++p) {
    if (retc_generate_greedy(model, finals[p], out[p][made[p] - 1], kAlone,
                             out[p] + made[p], logits, vocab) != RETC_OK)
      goto fail;
    made[p] += kAlone;
  }
  for (int64_t p = 0; p < prompts; ++p) {
    printf("%lld:", (long long)p);
    for (int64_t i = 0; i < made[p]; ++i)
      printf(" %d", (int)out[p][i]);
    printf("\n");
  }
  status = 0;
  goto done;

fail:
  fprintf(stderr, "serve: %s\n", retc_last_error());
done:
  retc_batch_free(batch);
  retc_model_close(model);
  for (int64_t p = 0; p < prompts; ++p) {
    if (out)
      free(out[p]);
    if (finals)
      retc_state_free(finals[p]);
  }
  free(out);
  free(finals);
  free(made);
  free(tokens);
  free(lengths);
  free(ids);
  free(packed);
  free(logits);
  return status;
}
