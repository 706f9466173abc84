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
 * bytes of UTF-8 JSON (the manifest), followed by the blobs it lists. All
 * integers are little-endian. */
#define RETC_PACKAGE_MAGIC "RETCPKG"       /* 7 chars + NUL = 8 bytes */
#define RETC_PACKAGE_MAGIC_SIZE 8
#define RETC_PACKAGE_VERSION 1u

typedef struct retc_package_header {
  char magic[RETC_PACKAGE_MAGIC_SIZE]; /* RETC_PACKAGE_MAGIC, NUL-padded */
  uint32_t version;                    /* RETC_PACKAGE_VERSION */
  uint32_t flags;                      /* 0; reserved */
  uint64_t manifest_size;              /* bytes of JSON after the header */
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
 * of its own, after filling every output with RETC_CUDA_POISON_BYTE. */
#define RETC_CUDA_BUFFER_ALIGNMENT 256
#define RETC_CUDA_POISON_BYTE 0xFF /* 0xFFFF..: a NaN in f32, bf16 and f16 */

#ifdef __cplusplus
}
#endif

#endif /* RETC_RUNTIME_KERNELABI_H */
