//===- SequenceState.h - The state of one sequence of a model ---*- C++ -*-===//
//
// A model's entries (KernelABI.h, `retc_model_call`) read and overwrite the
// retention state of one sequence: f32 [layers, heads, head_k_dim,
// head_v_dim], plus the absolute position of the next token. A
// `SequenceState` owns both; a fresh one is zero at position 0. States
// clone (a fork of the sequence), move, reset, and save to / restore from
// a small binary file (format in docs/runtime.md).
//
// Where the values live. A state made by a cpu model (or by the
// constructor from a shape alone) is a *host state*: its values are a host
// array, and `data()` is that array, as always. A state made by a cuda
// model (`Model::newState`) is a *device state*: it has a home, the
// model's device (`StateHome`), and its values live in a device buffer
// there (`StateStorage`), allocated by its first call and then used in
// place by every call, without copies. Its host array is only a cache,
// filled when the host reads the values (`data()`, `save`, `syncHost`) and
// uploaded before the next call only when the host changed them
// (non-const `data()`, `restore`). A state used by a model whose home is
// not its own moves there first: downloaded from its old device (if its
// values are there) and uploaded to the new one, once (docs/runtime.md,
// "Where a state lives").
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_SEQUENCESTATE_H
#define RETC_RUNTIME_SEQUENCESTATE_H

#include "runtime/AlignedBuffer.h"
#include "runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace retc::rt {

/// The magic bytes that start a saved state file.
inline constexpr char kStateFileMagic[8] = {'R', 'E', 'T', 'C',
                                            'S', 'T', 'A', 'T'};
/// The state file format version this runtime reads and writes (2: the
/// SHA-256 covers the header, position and shape included, and the data).
inline constexpr uint32_t kStateFileVersion = 2;

/// The device buffer that holds a device state's values (GpuModel.cpp: a
/// cuMemAlloc'd buffer; the unit tests: host memory that counts its
/// transfers). Every operation completes before it returns. Internal to
/// the runtime: applications only see SequenceState.
class StateStorage {
public:
  virtual ~StateStorage();
  /// The device address of the values, as the entries take it.
  virtual uint64_t address() const = 0;
  /// Sets every value to 0.0f on the device.
  virtual Error zero() = 0;
  /// Copies the `count` values at `host` to the device.
  virtual Error upload(const float *host) = 0;
  /// Copies the values to the `count` floats at `host`.
  virtual Error download(float *host) const = 0;
  /// Copies the values of `other` (storage of the same home) to this one,
  /// device to device.
  virtual Error copyFrom(const StateStorage &other) = 0;
  /// Copies `count` runs of `bytes` bytes device to device: run i from
  /// byte `fromOffset + i * fromStride` of `from` (storage of the same
  /// home, this one too) to byte `toOffset + i * toStride` of this one
  /// (a sequence's state into or out of its slot of a batch's pool: one
  /// run per layer). Runs must lie inside both and not overlap.
  virtual Error copyRuns(const StateStorage &from, uint64_t fromOffset,
                         uint64_t fromStride, uint64_t toOffset,
                         uint64_t toStride, uint64_t bytes,
                         uint64_t count) = 0;
};

/// Where device states live: one per cuda model (its device, stream and
/// context, which its states keep alive after the model is gone).
class StateHome {
public:
  virtual ~StateHome();
  /// New, uninitialized storage for `count` f32 values. Out of device
  /// memory: "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)
  /// allocating N bytes on device 0 (NVIDIA H100) (F of T bytes free)".
  virtual Expected<std::unique_ptr<StateStorage>> allocate(size_t count) = 0;
  /// "device 0 (NVIDIA H100)", for messages.
  virtual std::string describe() const = 0;
};

/// The retention state of one sequence and its next position.
class SequenceState {
public:
  /// An empty state (no shape); only assignable.
  SequenceState() = default;
  /// A zeroed host state of `shape` at position 0. Dimensions must be
  /// positive (Model::newState gives the model's shape).
  explicit SequenceState(std::vector<int64_t> shape);
  /// A zeroed device state of `shape` at position 0 whose home is `home`
  /// (a host state if `home` is null). It holds no device memory until its
  /// first call (Model::newState of a cuda model makes these).
  SequenceState(std::vector<int64_t> shape, std::shared_ptr<StateHome> home);

  /// Move-only: a copy of a device state is a device allocation and a copy
  /// that can fail, so it is explicit (`clone`).
  SequenceState(SequenceState &&other) noexcept;
  SequenceState &operator=(SequenceState &&other) noexcept;
  SequenceState(const SequenceState &) = delete;
  SequenceState &operator=(const SequenceState &) = delete;
  ~SequenceState();

  /// [layers, heads, head_k_dim, head_v_dim].
  const std::vector<int64_t> &shape() const { return dims; }
  /// The absolute position of the next token (tokens consumed so far).
  int64_t position() const { return nextPosition; }
  /// The number of elements (product of `shape`).
  size_t size() const { return elements; }
  /// Whether the state lives on a device (its home's), not in host memory.
  bool onDevice() const { return home != nullptr; }

  /// The f32 elements in host memory, row-major, 64-byte aligned. A host
  /// state: its values, always at the same address. A device state: its
  /// host cache, brought up to date first (one download when a call has
  /// changed the values since the last read); the non-const one also
  /// marks the cache as changed, so that the next call uploads it. The
  /// pointer is good until the next call, reset, restore or move of the
  /// state; ask again after one. nullptr if the download fails or the
  /// values were lost (`syncHost` says why; after it succeeds, `data()`
  /// does not fail).
  float *data();
  const float *data() const;
  /// Brings the host copy up to date (see `data`): success for a host
  /// state; for a device state, the error of a failed download
  /// ("downloading the state from device 0 (NVIDIA H100): cuMemcpyDtoHAsync
  /// failed: ...") or of lost values ("the state's values were lost when
  /// ... failed; reset or restore it").
  Error syncHost() const;

  /// Back to a fresh sequence: zero state, position 0. A device state is
  /// zeroed on its device by its next call (no transfer); a state whose
  /// values were lost is usable again.
  void reset();
  /// An independent copy (a fork of the sequence) with the same home. A
  /// device state's copy gets its own device buffer, copied device to
  /// device; fails on a failed allocation or copy, or lost values.
  Expected<SequenceState> clone() const;

  /// Writes the state and its position to `path` (under a temporary name,
  /// then renamed into place). A device state is read through its host
  /// copy (see `data`).
  Error save(const std::string &path) const;
  /// Reads a state saved by `save` into this one. Fails, leaving this state
  /// unchanged, on an unreadable file, a bad magic, an unknown version, a
  /// truncated or over-long file, a checksum mismatch (a changed byte
  /// anywhere, the position included), or a shape that differs from this
  /// state's (a state of another model). A device state takes the values
  /// into its host copy, uploaded by its next call.
  Error restore(const std::string &path);
  /// The same for a state file held in the `size` bytes at `bytes`; `path`
  /// names it in messages.
  Error restore(const uint8_t *bytes, size_t size, const std::string &path);

  //===--------------------------------------------------------------------===//
  // For Model (Model.cpp) and the unit tests: placing the values for a call.
  //===--------------------------------------------------------------------===//

  /// Makes the values current where a model whose home is `target` runs
  /// (nullptr: host memory), moving the state there first if it lives
  /// elsewhere: a device state's values are downloaded (if only its device
  /// has them) and its old storage freed; a state for a device gets its
  /// storage (allocated at its first call) zeroed, or uploaded to when the
  /// host copy was changed. Does nothing when the values are already there
  /// (the steady state of a sequence of calls). Fails if an allocation,
  /// transfer or zeroing fails or the values were lost; the values and the
  /// position are then as they were (the state may have moved to `target`
  /// already, its values in the host copy, to be uploaded by a retry).
  Error placeFor(const std::shared_ptr<StateHome> &target);
  /// After placeFor(home): the host values (nullptr home) or the device
  /// storage.
  float *hostValues() { return values.data(); }
  StateStorage *deviceStorage() { return storage.get(); }
  /// After a call that wrote the device copy: only the device holds the
  /// values now.
  void deviceWritten();
  /// After a call that failed once it may have written part of the device
  /// copy: the values are lost (every later read or call fails, naming
  /// `why`) until `reset` or `restore`.
  void markLost(std::string why);

private:
  friend class Model;

  /// Who holds the current values (a host state: always Host).
  enum class Holder : uint8_t {
    Host,   ///< the host copy; the device copy, if any, is stale
    Device, ///< the device copy; the host copy, if any, is stale
    Both,   ///< both copies
    Zero,   ///< neither: they are all zero (a fresh or reset device state)
    Lost,   ///< neither: a failed call may have written part of them
  };

  /// The host copy, allocated if it is not yet.
  void allocateHostCopy() const;
  /// The message of lost values.
  Error lostError() const;

  std::vector<int64_t> dims;
  int64_t nextPosition = 0;
  size_t elements = 0;
  /// A host state's values; a device state's host copy (empty until first
  /// needed).
  mutable AlignedVector<float> values;
  /// A device state's home and storage (allocated at its first call);
  /// the storage is freed before the home (declared after it).
  std::shared_ptr<StateHome> home;
  std::unique_ptr<StateStorage> storage;
  mutable Holder holder = Holder::Host;
  /// What failed, when Holder::Lost.
  std::string lostBy;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_SEQUENCESTATE_H
