//===- AlignedBuffer.h - 64-byte-aligned host storage -----------*- C++ -*-===//
//
// Buffers handed to generated code (model weights, sequence states) start on
// a 64-byte boundary, the alignment the kernel ABI promises (KernelABI.h).
// `AlignedVector<T>` is a std::vector with that alignment; its allocation
// functions live in AlignedBuffer.cpp, so this header compiles with
// -fno-exceptions too.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_ALIGNEDBUFFER_H
#define RETC_RUNTIME_ALIGNEDBUFFER_H

#include <cstddef>
#include <vector>

namespace retc::rt {

/// The alignment of every buffer the runtime gives to generated code.
inline constexpr size_t kBufferAlignment = 64;

/// `bytes` (rounded up to kBufferAlignment, at least one block) of
/// kBufferAlignment-aligned memory; throws std::bad_alloc when there is none
/// (caught inside the runtime's API).
void *allocateAligned(size_t bytes);
/// Frees what allocateAligned returned (nullptr is fine).
void freeAligned(void *pointer);

/// A std::allocator whose blocks are kBufferAlignment-aligned.
template <typename T> struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <typename U> AlignedAllocator(const AlignedAllocator<U> &) {}
  T *allocate(size_t count) {
    return static_cast<T *>(allocateAligned(count * sizeof(T)));
  }
  void deallocate(T *pointer, size_t) { freeAligned(pointer); }
  template <typename U> bool operator==(const AlignedAllocator<U> &) const {
    return true;
  }
  template <typename U> bool operator!=(const AlignedAllocator<U> &) const {
    return false;
  }
};

/// A vector whose data() is kBufferAlignment-aligned.
template <typename T> using AlignedVector = std::vector<T, AlignedAllocator<T>>;

} // namespace retc::rt

#endif // RETC_RUNTIME_ALIGNEDBUFFER_H
