//===- AlignedBuffer.cpp - 64-byte-aligned host storage ---------*- C++ -*-===//
//
// See AlignedBuffer.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/AlignedBuffer.h"

#include <cstdlib>
#include <new>

namespace retc::rt {

void *allocateAligned(size_t bytes) {
  size_t rounded =
      (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  if (rounded < bytes)
    throw std::bad_alloc();
  void *pointer = std::aligned_alloc(kBufferAlignment,
                                     rounded ? rounded : kBufferAlignment);
  if (!pointer)
    throw std::bad_alloc();
  return pointer;
}

void freeAligned(void *pointer) { std::free(pointer); }

} // namespace retc::rt
