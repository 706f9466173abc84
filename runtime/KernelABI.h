/*===- KernelABI.h - The contract between retc's codegen and runtime -*- C -*-===*
 *
 * One plain C header, included by the code generator (which emits kernels that
 * follow it) and by the runtime (which loads and calls them). No MLIR, no LLVM.
 * The package file layout and manifest schema are documented in
 * docs/package-format.md.
 *
 *===----------------------------------------------------------------------===*/
#ifndef RETC_RUNTIME_KERNELABI_H
#define RETC_RUNTIME_KERNELABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A package file starts with this fixed header, followed by `manifest_size`
 * bytes of UTF-8 JSON (the manifest), followed by the blobs it lists, each
 * with its SHA-256 in the manifest. All integers are little-endian. */
#define RETC_PACKAGE_MAGIC "RETCPKG"       /* 7 chars + NUL = 8 bytes */
#define RETC_PACKAGE_MAGIC_SIZE 8
#define RETC_PACKAGE_VERSION 2u
#define RETC_SHA256_SIZE 32

typedef struct retc_package_header {
  char magic[RETC_PACKAGE_MAGIC_SIZE]; /* RETC_PACKAGE_MAGIC, NUL-padded */
  uint32_t version;                    /* RETC_PACKAGE_VERSION */
  uint32_t flags;                      /* 0; reserved */
  uint64_t manifest_size;              /* bytes of JSON after the header */
  uint8_t manifest_sha256[RETC_SHA256_SIZE]; /* SHA-256 of those bytes */
} retc_package_header;

/* Every kernel, on every target, is entered through one signature: an array of
 * pointers, one per parameter in the order the manifest lists them (inputs,
 * then outputs). On the CPU the package's shared object exports
 * `<entry><RETC_CPU_ABI_SUFFIX>` with this type; the kernel parallelises
 * itself across the cores (OpenMP) and returns when done. Buffers are dense,
 * row-major, in the element type the manifest gives. */
#define RETC_CPU_ABI_SUFFIX "_retc_abi"
typedef void (*retc_cpu_kernel_fn)(void **args);

/* On CUDA the blob (manifest blob "format": "ptx" text or a "cubin") holds a
 * kernel (`.visible .entry`) named exactly `<entry>`, with no suffix. It takes
 * one parameter per manifest parameter, in manifest order, each a 64-bit
 * global-memory pointer (`.param .u64`; the bare-pointer convention, MLIR's
 * convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=1}) to a dense row-major
 * buffer as on the CPU, aligned to RETC_CUDA_BUFFER_ALIGNMENT bytes. The
 * runtime launches it with cuLaunchKernel and the manifest's
 * `launch` (grid, block, shared_bytes of dynamic shared memory), on a stream
 * of its own, after filling every output with RETC_CUDA_POISON_BYTE. A
 * kernel with `launches` instead is several entries of the same blob,
 * launched in that order on that stream, each with the same parameters;
 * with `workspace_bytes` > 0 every one of them takes one more pointer after
 * the manifest's parameters: a scratch buffer of that many bytes, aligned
 * likewise, allocated once per kernel and neither zeroed nor poisoned. */
#define RETC_CUDA_BUFFER_ALIGNMENT 256
#define RETC_CUDA_POISON_BYTE 0xFF /* 0xFFFF..: a NaN in f32, bf16 and f16 */

/* Every blob's code, CPU shared object or CUDA module, records what it was
 * compiled for: a global constant `char retc_compiled_for[]` (exported by the
 * shared object; a `.visible .global` byte array in PTX and cubins), holding
 * NUL-terminated text, one `<manifest field> <value>` line for each field of
 * the manifest that the code depends on (runtime/package/CompiledFor.h). The
 * runtime compares it with the manifest before it calls any of the code. */
#define RETC_COMPILED_FOR_SYMBOL "retc_compiled_for"

/* A model package (manifest `model` section, docs/package-format.md) holds one
 * CPU shared object that exports one function per entry point,
 * `retc_model_<entry>` (entry: prefill, decode, forward; decode_batch and
 * prefill_batch with a model.max_batch), each of type retc_model_entry_fn.
 * Every entry but decode_batch and prefill_batch runs the whole model over
 * `num_tokens` tokens of one sequence:
 *   prefill  chunkwise retention,  any num_tokens >= 1;
 *   decode   recurrent retention,  num_tokens == 1 (one step);
 *   forward  parallel retention,   any num_tokens >= 1.
 * decode_batch runs one recurrent step of num_tokens sequences (1 ..
 * max_batch): token b at positions[b] with the state in slot b of `state`,
 * the pool [layers, max_batch, heads, head_k_dim, head_v_dim]; logits
 * [num_tokens, vocab_size].
 * prefill_batch (cpu models with a max_batch) runs the prefill of
 * num_sequences fresh prompts packed one after another in `tokens`
 * (sequence_offsets), token t at positions[t], each prompt's retention
 * from a zero state (chunkwise) and its final state into slot n of
 * `state`, the pool as for decode_batch; logits [num_sequences,
 * vocab_size], row n the last token of prompt n. It reads no state and
 * writes only slots [0, num_sequences) of each layer (layer stride
 * max_batch slots), so the caller may pass the pool advanced by k slots
 * where k + num_sequences <= max_batch (the runtime passes the first free
 * slot); decode_batch likewise touches only slots [0, num_tokens).
 * The three single-sequence entries read the sequence's state (every layer's retention state) and
 * leave the state after the last token in the same buffer; a fresh sequence
 * starts from a zeroed state at position 0. */
#define RETC_MODEL_ENTRY_PREFIX "retc_model_"

typedef struct retc_model_call {
  const void *const *weights; /* one pointer per manifest model.weights entry,
                                 in manifest order, dense row-major in the
                                 listed dtype and shape, 64-byte aligned */
  const int32_t *tokens;      /* [num_tokens] ids, each in [0, vocab_size);
                                 the runtime checks the range */
  int64_t num_tokens;         /* >= 1 */
  int64_t position;           /* absolute position of tokens[0] (rotary) */
  float *state;               /* [layers, heads, head_k_dim, head_v_dim] f32,
                                 read, then overwritten with the new state
                                 (decode_batch, prefill_batch: the pool
                                 [layers, max_batch, heads, K, V], above) */
  float *logits;              /* f32 [num_tokens, vocab_size] when all_logits
                                 is 1, else [1, vocab_size]: the last token */
  int64_t all_logits;         /* 1 or 0 */
  const int64_t *positions;   /* decode_batch: [num_tokens] positions, one a
                                 sequence (row); prefill_batch: one a token;
                                 the other entries ignore it */
  int64_t num_sequences;      /* prefill_batch: N prompts, 1 .. max_batch */
  const int64_t *sequence_offsets; /* prefill_batch: [N + 1], prompt n is
                                 tokens [off[n], off[n+1]), off[0] = 0,
                                 off[N] = num_tokens, strictly increasing */
} retc_model_call;

typedef void (*retc_model_entry_fn)(const retc_model_call *call);

/* A GPU model package (manifest `model` section with a cuda target) holds
 * two blobs: the host program, a CPU shared object (manifest `model.blob`)
 * exporting `retc_gpu_model_<entry>` of type retc_gpu_model_entry_fn, and
 * the CUDA module of the kernels it launches (`model.kernels_blob`), listed
 * in `model.kernels` (kernel i of a launch request is model.kernels[i]).
 * The host program is generated code: it computes every launch's grid and
 * every device address (weights, the call's buffers, views of the arena)
 * and hands them to the runtime through `host`, in order; it never reads or
 * writes device memory itself. The entries compute what the CPU entries do
 * (above), with every buffer in device memory. */
#define RETC_GPU_MODEL_ENTRY_PREFIX "retc_gpu_model_"

/* A launch request: RETC_GPU_LAUNCH_HEADER_WORDS int64 words, then the
 * kernel's parameters, one 8-byte word each (a device address, or an
 * integer such as the number of tokens; the kernel declares every
 * parameter `.param .u64`/`.b64`):
 *   [0] kernel (index into model.kernels)
 *   [1] [2] [3] grid x, y, z        [4] [5] [6] block x, y, z
 *   [7] dynamic shared memory bytes [8] n, the number of parameters
 *   [9 .. 9 + n) the parameters */
#define RETC_GPU_LAUNCH_HEADER_WORDS 9

typedef struct retc_gpu_host {
  void *context; /* the runtime's, passed back to every callback */
  /* Enqueues one launch on the runtime's stream. Returns 0, or non-zero
   * on failure: the host program goes on, the runtime ignores every later
   * request of the call and reports the first failure once the entry
   * returns. */
  int32_t (*launch)(void *context, const int64_t *request);
  /* Enqueues a copy of `bytes` bytes of device memory from `src` to `dst`
   * (non-overlapping), ordered with the launches. Returns as `launch`. */
  int32_t (*copy)(void *context, uint64_t dst, uint64_t src, int64_t bytes);
} retc_gpu_host;

typedef struct retc_gpu_model_call {
  const retc_gpu_host *host;
  const uint64_t *weights; /* host array: the device address of each
                              manifest model.weights entry, in order, dense
                              row-major, RETC_CUDA_BUFFER_ALIGNMENT-aligned */
  uint64_t tokens;         /* device: int32 [num_tokens], each in range */
  int64_t num_tokens;      /* 1 .. model.max_tokens (decode: 1;
                              decode_batch: sequences, 1 .. max_batch) */
  int64_t position;        /* absolute position of tokens[0] */
  uint64_t state;          /* device: f32 [layers, heads, K, V], in/out
                              (decode_batch: the pool [layers, max_batch,
                              heads, K, V], row b in slot b) */
  uint64_t logits;         /* device: f32 [num_tokens or 1, vocab_size] */
  int64_t all_logits;      /* 1 or 0 */
  uint64_t arena;          /* device: model.arena_bytes of scratch for the
                              call's activations, aligned likewise */
  uint64_t positions;      /* device: int64 [1] (decode_batch: one a row,
                              [num_tokens]). decode reads the position
                              of its token here (not `position`), and
                              leaves the greedy next token in `tokens`
                              and the next position here, so that its
                              launches replay as one step of a CUDA graph;
                              prefill and forward do not use it */
} retc_gpu_model_call;

typedef void (*retc_gpu_model_entry_fn)(const retc_gpu_model_call *call);

/* The version of retc_gpu_model_call and of what the entries do with it,
 * recorded in the host program's retc_compiled_for (`model.call_version`)
 * and compared by the runtime, so that a host program and a runtime of
 * different versions refuse each other instead of misreading the call.
 *   1  the fields up to `arena`; decode takes its position by value
 *   2  `positions`: decode reads its position there and leaves the greedy
 *      next token in `tokens` and the next position in `positions` */
#define RETC_GPU_MODEL_CALL_VERSION 2

#ifdef __cplusplus
}
#endif

#endif /* RETC_RUNTIME_KERNELABI_H */
