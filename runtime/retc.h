/*===- retc.h - The retc runtime's C API for compiled models -----*- C -*-===*
 *
 * A plain C interface to runtime/model/Model.h: open a model package with its
 * checkpoint, keep one state per sequence, and run prefill, decode and
 * forward. Every function that can fail returns RETC_OK (0) or an error
 * code; the message of the last failure on the calling thread is
 * retc_last_error(). Nothing here throws, aborts or exits on bad input.
 * docs/runtime.md describes it; examples/generate.c uses it.
 *
 *===----------------------------------------------------------------------===*/
#ifndef RETC_RUNTIME_RETC_H
#define RETC_RUNTIME_RETC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. */
#define RETC_OK 0
/* A file, package, checkpoint or model call failed: see retc_last_error(). */
#define RETC_ERROR 1
/* A NULL pointer, num_tokens < 1, or a logits buffer too small. */
#define RETC_ERROR_ARGUMENT 2
/* Memory ran out. */
#define RETC_ERROR_MEMORY 3

/* A model package with its weights (opaque). */
typedef struct retc_model retc_model;
/* The state of one sequence: retention state and next position (opaque). */
typedef struct retc_state retc_state;

/* The message of the last failure on this thread ("" if none yet); one line
 * per problem, each "<file>: <problem>". Valid until the next failing call
 * on this thread. */
const char *retc_last_error(void);

/* Opens the model package at `package_path` with the safetensors checkpoint
 * at `weights_path`; on success stores the model in *model. */
int retc_model_open(const char *package_path, const char *weights_path,
                    retc_model **model);
/* Frees the model (NULL is fine). States it made stay valid but useless.
 * The model's compiled code stays loaded in the process (as every CPU
 * kernel package's does); opening a package with the same code again
 * reuses it, so reopening does not grow the process. */
void retc_model_close(retc_model *model);
/* The vocabulary size (each logits row holds this many floats); 0 for
 * NULL. */
int64_t retc_model_vocab_size(const retc_model *model);

/* A fresh state for `model`: zero, at position 0. A cuda model's lives on
 * its device (allocated by its first call, then used in place: no copy per
 * call); save and restore go through a host copy (docs/runtime.md, "Where
 * a state lives"). */
int retc_state_new(const retc_model *model, retc_state **state);
/* Frees the state (NULL is fine). */
void retc_state_free(retc_state *state);
/* Back to a fresh sequence. */
int retc_state_reset(retc_state *state);
/* An independent copy of `state` in *copy (a fork of the sequence). */
int retc_state_copy(const retc_state *state, retc_state **copy);
/* The absolute position of the next token; -1 for NULL. */
int64_t retc_state_position(const retc_state *state);
/* Writes the state to a file / reads one saved by retc_state_save (which
 * must have the same shape: the same model). */
int retc_state_save(const retc_state *state, const char *path);
int retc_state_restore(retc_state *state, const char *path);

/* Runs `num_tokens` >= 1 tokens (each in [0, vocab)) through the model,
 * continuing the sequence in `state`. `logits` holds `logits_capacity`
 * floats and receives num_tokens * vocab of them (one row per token) when
 * all_logits is non-zero (always for retc_forward), else vocab (the last
 * token's row). */
/* Calls on one model must not overlap (the generated code parallelises
 * itself with OpenMP); different models, and states of different models,
 * are independent. */
int retc_prefill(retc_model *model, retc_state *state, const int32_t *tokens,
                 int64_t num_tokens, float *logits, int64_t logits_capacity,
                 int all_logits);
int retc_decode(retc_model *model, retc_state *state, int32_t token,
                float *logits, int64_t logits_capacity);
int retc_forward(retc_model *model, retc_state *state, const int32_t *tokens,
                 int64_t num_tokens, float *logits, int64_t logits_capacity);

/* Greedy generation: `count` >= 0 decode steps, the first on `token` (each
 * in [0, vocab)), each step's choice -- the index of its largest logit,
 * the lowest on ties -- written to tokens_out[i] and fed to the next.
 * `logits` (logits_capacity >= vocab floats) receives the last step's row.
 * A cuda model replays its decode step as one CUDA graph, each token
 * chosen on the device, the host waiting once every 4096 steps; a cpu
 * model decodes and chooses one step at a time. NaN logits are an error
 * (on a GPU, seen in the last step's row only). */
int retc_generate_greedy(retc_model *model, retc_state *state, int32_t token,
                         int64_t count, int32_t *tokens_out, float *logits,
                         int64_t logits_capacity);

/* Batched decode (a package compiled with retc --max-batch=N; docs/runtime.md,
 * "SequenceBatch"): up to N sequences, each holding a slot of the batch's
 * state pool, decoded together one step at a time. Sequences join (a
 * state's values and position copied in, as the last row) and leave (the
 * last row moving into the hole) between steps. */
typedef struct retc_batch retc_batch;

/* The most sequences one retc_batch_decode step takes (the package's
 * max_batch); 0 for NULL or a package without decode_batch. */
int64_t retc_model_max_batch(const retc_model *model);
/* An empty batch of `model`, its pool allocated now (on the device for a
 * cuda model). Use it with that model only, and not after the model is
 * closed (freeing it then is fine). */
int retc_batch_new(retc_model *model, retc_batch **batch);
/* Frees the batch (NULL is fine). */
void retc_batch_free(retc_batch *batch);
/* The sequences (rows) in the batch; -1 for NULL. */
int64_t retc_batch_size(const retc_batch *batch);
/* Row `row`'s id (given to retc_batch_join) and next position; -1 for NULL
 * or a row outside [0, size). */
int64_t retc_batch_id(const retc_batch *batch, int64_t row);
int64_t retc_batch_position(const retc_batch *batch, int64_t row);
/* Adds `state`'s sequence as row size(), tagged `id` (>= 0); `state` is
 * left as it was. Fails when the batch is full. */
int retc_batch_join(retc_model *model, retc_batch *batch, retc_state *state,
                    int64_t id);
/* Prompts joining together: prompt i is lengths[i] >= 1 ids of `tokens`,
 * the prompts one after another; each is prefilled from a fresh state and
 * joins as row size() + i tagged ids[i] (>= 0). `logits`, where not NULL
 * (logits_capacity >= count * vocab floats), receives [count, vocab], each
 * prompt's last token's; `greedy_out`, where not NULL, each prompt's
 * greedy next token. A cpu package compiled with --max-batch runs the
 * prompts as one packed call (entry prefill_batch); another prefills them
 * one at a time. Fails, joining none, when they do not all fit. */
int retc_batch_join_prompts(retc_model *model, retc_batch *batch,
                            const int32_t *tokens, const int64_t *lengths,
                            const int64_t *ids, int64_t count, float *logits,
                            int64_t logits_capacity, int32_t *greedy_out);
/* Removes row `row`, its values and position first copied into `out` where
 * it is not NULL; the last row takes its place. */
int retc_batch_leave(retc_model *model, retc_batch *batch, int64_t row,
                     retc_state *out);
/* One decode step of every row: row b takes tokens[b] (size() ids, each in
 * [0, vocab)). `logits`, where not NULL (logits_capacity >= size() * vocab
 * floats), receives [size(), vocab]; `greedy_out`, where not NULL, each
 * row's greedy next token (the first largest logit, NaNs skipped: on a GPU
 * chosen on the device, so the logits need not be copied out). At least
 * one of them must be given. A failure after the step started loses the
 * batch's values (every later call on it fails). */
int retc_batch_decode(retc_model *model, retc_batch *batch,
                      const int32_t *tokens, float *logits,
                      int64_t logits_capacity, int32_t *greedy_out);
/* Greedy generation of every row together: `steps` >= 0 steps, the first
 * on tokens[size()], each step's greedy tokens fed to the next and written
 * to tokens_out[i * size() + row] (steps * size() ids). A cuda model
 * replays the step as one CUDA graph, the host waiting once every 4096
 * steps at most; a cpu model steps one call at a time. */
int retc_batch_generate_greedy(retc_model *model, retc_batch *batch,
                               const int32_t *tokens, int64_t steps,
                               int32_t *tokens_out);

#ifdef __cplusplus
}
#endif

#endif /* RETC_RUNTIME_RETC_H */
