//===- SequenceBatch.h - Sequences decoded together -------------*- C++ -*-===//
//
// The sequences one `Model::decodeBatch` step runs together (a model
// package compiled with `retc --max-batch=N`, entry decode_batch). The
// batch owns a pool of N state slots where the model runs (the device of a
// cuda model, host memory for a cpu model), laid out as the entry reads
// it: [layers, N, heads, head_k_dim, head_v_dim] f32, so
// that each layer's retention reads the B = size() rows' states as one
// [B, heads, K, V] block. Row b of a step is slot b. Sequences join
// (their state copied into the next free slot, one run per layer) and
// leave (their state optionally copied out; the last row moves into the
// hole), so the rows stay dense: what a serving loop does between steps.
//
//   Expected<SequenceBatch> batch = model->newBatch();
//   model->join(*batch, promptedState, /*id=*/7);    // row 0
//   model->decodeBatch(*batch, tokens, logits);      // [size(), vocab]
//   model->leave(*batch, 0, &finishedState);
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_SEQUENCEBATCH_H
#define RETC_RUNTIME_MODEL_SEQUENCEBATCH_H

#include "runtime/model/SequenceState.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace retc::rt {

class SequenceBatch {
public:
  SequenceBatch() = default;
  /// A moved-from batch is empty and belongs to no model (every call on
  /// it fails).
  SequenceBatch(SequenceBatch &&other) noexcept { *this = std::move(other); }
  SequenceBatch &operator=(SequenceBatch &&other) noexcept {
    if (this != &other) {
      home = std::move(other.home);
      pool = std::move(other.pool);
      hostPool = std::move(other.hostPool);
      owner = std::exchange(other.owner, 0);
      slots = std::exchange(other.slots, 0);
      rows = std::move(other.rows);
      other.rows.clear();
      lostWhy = std::move(other.lostWhy);
      other.lostWhy.clear();
    }
    return *this;
  }
  SequenceBatch(const SequenceBatch &) = delete;
  SequenceBatch &operator=(const SequenceBatch &) = delete;

  /// The sequences in the batch: the rows of a step.
  size_t size() const { return rows.size(); }
  /// The most sequences it takes (the package's max_batch).
  size_t capacity() const { return slots; }
  /// The caller's tag of row `row` (given to join) and its next position;
  /// `row` < size() (std::out_of_range otherwise).
  uint64_t id(size_t row) const { return rows.at(row).id; }
  int64_t position(size_t row) const { return rows.at(row).position; }
  /// Whether a failed step may have written part of the slots: every
  /// later step, join and leave then fails until the batch is remade.
  bool lost() const { return !lostWhy.empty(); }

private:
  friend class Model;
  struct Row {
    uint64_t id = 0;
    int64_t position = 0;
  };
  /// The model's device and the pool's storage on it (a cuda model), or
  /// the pool in host memory (a cpu model: no home).
  std::shared_ptr<StateHome> home;
  std::unique_ptr<StateStorage> pool;
  AlignedVector<float> hostPool;
  /// The id of the model that made it (Model's, unique in the process;
  /// 0: none): a batch runs on that model only.
  uint64_t owner = 0;
  size_t slots = 0;
  std::vector<Row> rows;
  std::string lostWhy;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_SEQUENCEBATCH_H
