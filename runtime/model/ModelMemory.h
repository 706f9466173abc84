//===- ModelMemory.h - What a model package takes in memory -----*- C++ -*-===//
//
// The memory a model package needs, from its manifest alone (no device, no
// weights): for a GPU package everything the runtime allocates on the
// device, all of it at load or at a state's first call, nothing inside a
// call: the weights (one allocation, each weight at a 256-byte boundary),
// the compiler-planned activation arena (`model.arena_bytes`), the call's
// token and logits buffers (sized for `model.max_tokens` or
// `model.max_batch` rows), decode's positions (the ones it reads and the
// next it writes), one state buffer per sequence and one pool of
// max_batch states per batch (Model::newBatch). GpuModel allocates by it; `retc-run
// --report-memory` prints it. For a CPU package the weights and the
// states; the generated code allocates its activations per call.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_MODELMEMORY_H
#define RETC_RUNTIME_MODEL_MODELMEMORY_H

#include "runtime/Status.h"
#include "runtime/package/Package.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retc::rt {

struct ModelMemory {
  /// Byte offset of each manifest weight in the weights' allocation.
  std::vector<uint64_t> weightOffsets;
  uint64_t weightBytes = 0; ///< the weights' allocation (with padding)
  uint64_t stateBytes = 0;  ///< one sequence's state
  // GPU packages only (0 for CPU ones):
  uint64_t arenaBytes = 0;  ///< activations, planned by the compiler
  /// The rows of a call: max(max_tokens, max_batch).
  uint64_t tokenBytes = 0;  ///< rows int32
  uint64_t logitBytes = 0;  ///< rows x vocab f32
  uint64_t positionBytes = 0; ///< decode's positions: max(1, max_batch) int64
  /// A batch's pool of state slots (Model::newBatch): max_batch states,
  /// on the device (cuda) or in host memory (cpu); 0 without decode_batch.
  uint64_t batchBytes = 0;

  /// Everything but the states: what loading the model takes.
  uint64_t loadBytes() const {
    return weightBytes + arenaBytes + tokenBytes + logitBytes + positionBytes;
  }
};

/// The memory of `package`'s model (a model package). Fails with
/// "<package>: the weights would take more than 2^64 bytes" (or the
/// arena, the logits, the state) where a size overflows.
Expected<ModelMemory> planModelMemory(const Package &package);

/// `bytes` as "12.3 MB" (decimal units) for messages and reports.
std::string formatBytes(uint64_t bytes);

/// Fails with "<what> would take 26.0 GB, more than this machine's 25.3
/// GB of memory" where `bytes` exceed the host's physical memory (unknown:
/// no check). A host buffer is checked so up front: filled page by page
/// under Linux's overcommit it would end in the OOM killer, not in an
/// error.
Error checkHostMemory(uint64_t bytes, const std::string &what);

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_MODELMEMORY_H
