//===- TileEmitter.h - CPU tile building blocks -----------------*- C++ -*-===//
//
// The building blocks from which the CPU lowering of every retention form is
// assembled: f32 scratch tiles, packing of token rows from the [B, T, H, X]
// operands (converting bf16/f16 to f32 and zero-padding to the microkernel
// shape), and the register-blocked rank-update microkernel
//   acc[r][j] += a(r, p) * b(p)[j]   for p in [lb, ub)
// with MR rows by NR vectors of W lanes held in registers.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_CPU_TILEEMITTER_H
#define RETC_CODEGEN_CPU_TILEEMITTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::retention {

/// The register tile of the microkernel.
struct MicroTile {
  int64_t width; ///< W: f32 lanes per vector
  int64_t rows;  ///< MR: rows held in registers
  int64_t cols;  ///< NR: vectors per row
  int64_t colBlock() const { return width * cols; }
};

/// Rounds `x` up to a multiple of `m`.
inline int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// Emits CPU tile code at the builder's insertion point.
class TileEmitter {
public:
  TileEmitter(OpBuilder &b, Location loc, MicroTile tile)
      : b(b), loc(loc), tile(tile) {}

  OpBuilder &builder() { return b; }
  const MicroTile &microTile() const { return tile; }
  Location getLoc() const { return loc; }

  Value index(int64_t v);
  Value f32(float v);
  VectorType vecType();
  Value zeroVec();
  Value add(Value a, Value c);
  Value mul(Value a, Value c);
  Value min(Value a, Value c);

  /// A fresh 64-byte-aligned f32 buffer (heap: tiles can be large).
  Value alloc(ArrayRef<int64_t> shape);
  void dealloc(Value buf);

  /// for (iv = lb; iv < ub; iv += step) body(iv).
  void loop(Value lb, Value ub, int64_t step, function_ref<void(Value)> body);
  /// The same with loop-carried values; returns the final values.
  SmallVector<Value> loop(Value lb, Value ub, int64_t step, ValueRange init,
                          function_ref<SmallVector<Value>(Value, ValueRange)> body);
  /// if (cond) then() else otherwise(); no results.
  void ifElse(Value cond, function_ref<void()> then,
              function_ref<void()> otherwise = nullptr);

  Value loadVec(Value buf, ValueRange idx);
  void storeVec(Value v, Value buf, ValueRange idx);
  Value load(Value buf, ValueRange idx);
  void store(Value v, Value buf, ValueRange idx);

  /// Reads W elements of row (bi, t, hi) of a [B, T, H, X] operand starting
  /// at column c, as f32 (lanes past X read 0).
  Value readRow(Value src, Value bi, Value t, Value hi, Value c);
  /// Writes W f32 lanes to row (bi, t, hi) of a [B, T, H, X] result at column
  /// c, converting to its element type (lanes past X are dropped).
  void writeRow(Value v, Value dst, Value bi, Value t, Value hi, Value c);
  /// The same for [B, H, R, X] states, row r.
  Value readStateRow(Value src, Value bi, Value hi, Value r, Value c);
  void writeStateRow(Value v, Value dst, Value bi, Value hi, Value r, Value c);

  /// Fills a 2-D f32 tile with zeros.
  void zeroTile(Value tile2d);
  /// dst[r][c] = src[bi, row0 + r, hi, c] for r < count and c < X, else 0.
  void packRows(Value dst, Value src, Value bi, Value row0, Value hi,
                Value count);
  /// dst[c][r] = src[bi, row0 + r, hi, c] (transposed), zero elsewhere; and,
  /// when `scaledDst` is given, scaledDst[c][r] = dst[c][r] * rowScale[r].
  void packTransposed(Value dst, Value scaledDst, Value rowScale, Value src,
                      Value bi, Value row0, Value hi, Value count);

  /// The microkernel: for p in [lb, ub), for r < MR, jv < NR:
  ///   acc[r * NR + jv] = fma(broadcast(a(r, p)), bVec(jv, p), acc[...]).
  SmallVector<Value>
  rankUpdate(Value lb, Value ub, ArrayRef<Value> acc,
             function_ref<Value(int64_t r, Value p)> a,
             function_ref<Value(int64_t jv, Value p)> bVec);
  /// MR * NR zero vectors.
  SmallVector<Value> zeroAccumulators();

private:
  Value readVector(Value src, ValueRange idx, int64_t extent);
  void writeVector(Value v, Value dst, ValueRange idx, int64_t extent);

  OpBuilder &b;
  Location loc;
  MicroTile tile;
};

} // namespace mlir::retention

#endif // RETC_CODEGEN_CPU_TILEEMITTER_H
