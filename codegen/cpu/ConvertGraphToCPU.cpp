//===- ConvertGraphToCPU.cpp - the model graph ops to CPU loop nests -------===//
//
// convert-retention-graph-to-cpu: every graph-level op of a model
// (RetentionGraphOps.td) becomes an scf.parallel loop nest over vectors of
// f32, reading its operands through bufferization.to_buffer and writing a
// fresh 64-byte-aligned buffer returned through bufferization.to_tensor:
//
//   linear, swiglu_linear   parallel over (row tile, column block); inside,
//                           a register tile of MR rows x NR output columns,
//                           each a W-lane accumulator of x[t, i:i+W] *
//                           w[o, i:i+W] along the contiguous input axis
//                           (weights stay [out, in]), reduced at the end;
//                           the residual or the SwiGLU product in the
//                           epilogue. At T = 1 (decode) this streams every
//                           weight row once, which is the memory floor.
//   embedding, rms_norm, rotary, repeat_heads, gated_head_norm, swiglu, add
//                           parallel over rows, vectorized along the row
//                           with a masked tail.
//
// Post-conditions: no graph-level op remains; exp is expanded into
// polynomials (vectorizable, no libm call per lane).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <limits>

namespace mlir::retention {
#define GEN_PASS_DEF_CONVERTRETENTIONGRAPHTOCPU
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {

/// Builds vector code over rows of f32 buffers at one insertion point.
class RowEmitter {
public:
  RowEmitter(OpBuilder &b, Location loc, int64_t width)
      : b(b), loc(loc), width(width) {}

  OpBuilder &b;
  Location loc;
  int64_t width;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)));
  }
  VectorType vec() { return VectorType::get({width}, b.getF32Type()); }
  Value splat(Value s) { return vector::BroadcastOp::create(b, loc, vec(), s); }
  Value zero() { return splat(f32(0)); }
  Value add(Value a, Value c) { return arith::AddFOp::create(b, loc, a, c); }
  Value sub(Value a, Value c) { return arith::SubFOp::create(b, loc, a, c); }
  Value mul(Value a, Value c) { return arith::MulFOp::create(b, loc, a, c); }
  Value fma(Value a, Value c, Value acc) {
    return vector::FMAOp::create(b, loc, a, c, acc);
  }
  Value iadd(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value imul(Value a, Value c) { return arith::MulIOp::create(b, loc, a, c); }
  Value imin(Value a, Value c) { return arith::MinSIOp::create(b, loc, a, c); }
  Value isub(Value a, Value c) { return arith::SubIOp::create(b, loc, a, c); }
  Value sum(Value v) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v);
  }
  /// x * sigmoid(x), elementwise (vector or scalar).
  Value swish(Value x) {
    Type t = x.getType();
    Value one = isa<VectorType>(t) ? splat(f32(1)) : f32(1);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, x, add(one, e));
  }

  Value load(Value buf, ValueRange index, Value mask) {
    if (!mask)
      return vector::LoadOp::create(b, loc, vec(), buf, index);
    return vector::MaskedLoadOp::create(b, loc, vec(), buf, index, mask,
                                        zero());
  }
  void store(Value v, Value buf, ValueRange index, Value mask) {
    if (!mask)
      vector::StoreOp::create(b, loc, v, buf, index);
    else
      vector::MaskedStoreOp::create(b, loc, buf, index, mask, v);
  }

  /// for (iv = lb; iv < ub; iv += step) with loop-carried values.
  SmallVector<Value>
  loop(Value lb, Value ub, int64_t step, ValueRange init,
       function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto op = scf::ForOp::create(
        b, loc, lb, ub, idx(step), init,
        [&](OpBuilder &nested, Location, Value iv, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nested.getInsertionBlock(),
                              nested.getInsertionPoint());
          scf::YieldOp::create(b, loc, body(iv, args));
        });
    return SmallVector<Value>(op.getResults().begin(), op.getResults().end());
  }
  void loop(Value lb, Value ub, int64_t step, function_ref<void(Value)> body) {
    loop(lb, ub, step, ValueRange{}, [&](Value iv, ValueRange) {
      body(iv);
      return SmallVector<Value>{};
    });
  }

  /// Folds `body` over the columns [0, n) of a row, W at a time: full
  /// vectors first (mask null), then a masked tail when W does not divide n.
  SmallVector<Value>
  overRow(int64_t n, ValueRange init,
          function_ref<SmallVector<Value>(Value col, Value mask, ValueRange)>
              body) {
    int64_t full = n / width * width;
    Value begin = idx(0), fullEnd = idx(full);
    SmallVector<Value> acc = loop(
        begin, fullEnd, width, init,
        [&](Value j, ValueRange args) { return body(j, Value(), args); });
    if (full < n) {
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({width}, b.getI1Type()),
          ValueRange{idx(n - full)});
      acc = body(idx(full), mask, acc);
    }
    return acc;
  }
  void overRow(int64_t n, function_ref<void(Value col, Value mask)> body) {
    overRow(n, ValueRange{}, [&](Value j, Value m, ValueRange) {
      body(j, m);
      return SmallVector<Value>{};
    });
  }
  /// scf.parallel over [0, ub) (one dimension).
  void parallel(Value ub, function_ref<void(Value)> body) {
    Value lb = idx(0), step = idx(1);
    scf::ParallelOp::create(b, loc, ValueRange{lb}, ValueRange{ub},
                            ValueRange{step},
                            [&](OpBuilder &nested, Location, ValueRange ivs) {
                              OpBuilder::InsertionGuard guard(b);
                              b.setInsertionPoint(nested.getInsertionBlock(),
                                                  nested.getInsertionPoint());
                              body(ivs[0]);
                            });
  }
  void parallel2(Value ub0, Value ub1, function_ref<void(Value, Value)> body) {
    Value lb0 = idx(0), lb1 = idx(0), step0 = idx(1), step1 = idx(1);
    scf::ParallelOp::create(b, loc, ValueRange{lb0, lb1}, ValueRange{ub0, ub1},
                            ValueRange{step0, step1},
                            [&](OpBuilder &nested, Location, ValueRange ivs) {
                              OpBuilder::InsertionGuard guard(b);
                              b.setInsertionPoint(nested.getInsertionBlock(),
                                                  nested.getInsertionPoint());
                              body(ivs[0], ivs[1]);
                            });
  }
  /// 1 / sqrt(sum / n + eps), from a vector of partial sums of squares.
  Value inverseRms(Value partialSquares, int64_t n, double eps) {
    Value total = sum(partialSquares);
    Value mean = arith::DivFOp::create(b, loc, total, f32(n));
    return math::RsqrtOp::create(b, loc, add(mean, f32(eps)));
  }
};

/// Operand buffers and result allocation for one op.
struct Lowering {
  IRRewriter &rewriter;
  Operation *op;
  Location loc;

  Value buffer(Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    return bufferization::ToBufferOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        tensor, /*read_only=*/true);
  }
  /// Rows of a 2-D buffer.
  Value rows(Value buf) {
    return memref::DimOp::create(rewriter, loc, buf, 0);
  }
  /// A fresh buffer for result `index`, with `numRows` rows.
  Value allocResult(Value numRows, unsigned index = 0) {
    auto type = cast<RankedTensorType>(op->getResult(index).getType());
    SmallVector<Value> dynamic;
    if (type.isDynamicDim(0))
      dynamic.push_back(numRows);
    return memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        dynamic, rewriter.getI64IntegerAttr(64));
  }
  /// Replaces the op's results by the tensors of `bufs`, one a result.
  void replace(ValueRange bufs) {
    SmallVector<Value> tensors;
    for (auto [result, buf] : llvm::zip_equal(op->getResults(), bufs))
      tensors.push_back(bufferization::ToTensorOp::create(
          rewriter, loc, result.getType(), buf, /*restrict=*/true));
    rewriter.replaceOp(op, tensors);
  }
};

int64_t width(Value v, unsigned d = 1) {
  return cast<ShapedType>(v.getType()).getDimSize(d);
}

/// The register tile of the projections.
struct GemmTile {
  int64_t rows;    ///< MR
  int64_t cols;    ///< NR
  int64_t rowTile; ///< rows per parallel task
  int64_t colTile; ///< output columns per parallel task
};

/// y = x w^T (+ residual) or swish(x wg^T) * (x wu^T): see the file header.
void emitProjection(RowEmitter &e, GemmTile tile, Value x, Value w, Value w2,
                    Value residual, Value out, Value numRows) {
  int64_t in = width(x), outCols = width(w, 0);
  bool swiglu = bool(w2);
  int64_t nr = swiglu ? std::max<int64_t>(1, tile.cols / 2) : tile.cols;
  Value rowTasks = arith::CeilDivSIOp::create(e.b, e.loc, numRows,
                                              e.idx(tile.rowTile));
  Value colTasks = e.idx((outCols + tile.colTile - 1) / tile.colTile);
  e.parallel2(rowTasks, colTasks, [&](Value rt, Value ct) {
    Value t0 = e.imul(rt, e.idx(tile.rowTile));
    Value t1 = e.imin(e.iadd(t0, e.idx(tile.rowTile)), numRows);
    Value o0 = e.imul(ct, e.idx(tile.colTile));
    Value o0End = e.iadd(o0, e.idx(tile.colTile));
    Value o1 = e.imin(o0End, e.idx(outCols));

    // One m x n register tile at (t, o).
    auto microTile = [&](int64_t m, int64_t n, Value t, Value o) {
      int64_t perOut = swiglu ? 2 : 1;
      SmallVector<Value> init(m * n * perOut, e.zero());
      SmallVector<Value> rowIdx, colIdx;
      for (int64_t r = 0; r < m; ++r)
        rowIdx.push_back(e.iadd(t, e.idx(r)));
      for (int64_t c = 0; c < n; ++c)
        colIdx.push_back(e.iadd(o, e.idx(c)));
      SmallVector<Value> acc = e.overRow(
          in, init, [&](Value i, Value mask, ValueRange args) {
            SmallVector<Value> xs, ws, us;
            for (int64_t r = 0; r < m; ++r)
              xs.push_back(e.load(x, {rowIdx[r], i}, mask));
            for (int64_t c = 0; c < n; ++c) {
              ws.push_back(e.load(w, {colIdx[c], i}, mask));
              if (swiglu)
                us.push_back(e.load(w2, {colIdx[c], i}, mask));
            }
            SmallVector<Value> next;
            for (int64_t r = 0; r < m; ++r)
              for (int64_t c = 0; c < n; ++c) {
                int64_t k = (r * n + c) * perOut;
                next.push_back(e.fma(xs[r], ws[c], args[k]));
                if (swiglu)
                  next.push_back(e.fma(xs[r], us[c], args[k + 1]));
              }
            return next;
          });
      for (int64_t r = 0; r < m; ++r)
        for (int64_t c = 0; c < n; ++c) {
          int64_t k = (r * n + c) * perOut;
          Value y = e.sum(acc[k]);
          if (swiglu) {
            Value gate = e.swish(y);
            y = e.mul(gate, e.sum(acc[k + 1]));
          }
          if (residual)
            y = e.add(y, memref::LoadOp::create(e.b, e.loc, residual,
                                                ValueRange{rowIdx[r],
                                                           colIdx[c]}));
          memref::StoreOp::create(e.b, e.loc, y, out,
                                  ValueRange{rowIdx[r], colIdx[c]});
        }
    };
    // Rows m at a time, then one at a time; columns likewise.
    auto rowsOf = [&](int64_t m, Value lo, Value hi) {
      Value span = e.isub(o1, o0);
      Value colBlocks = arith::DivSIOp::create(e.b, e.loc, span, e.idx(nr));
      Value fullCols = e.iadd(o0, e.imul(colBlocks, e.idx(nr)));
      e.loop(lo, hi, m, [&](Value t) {
        e.loop(o0, fullCols, nr, [&](Value o) { microTile(m, nr, t, o); });
        e.loop(fullCols, o1, 1, [&](Value o) { microTile(m, 1, t, o); });
      });
    };
    Value span = e.isub(t1, t0);
    Value rowBlocks =
        arith::DivSIOp::create(e.b, e.loc, span, e.idx(tile.rows));
    Value fullRows = e.iadd(t0, e.imul(rowBlocks, e.idx(tile.rows)));
    rowsOf(tile.rows, t0, fullRows);
    rowsOf(1, fullRows, t1);
  });
}

/// The fewest rows for which a projection packs its weights
/// (emitPackedProjection); fewer rows (decode, batched decode, short
/// prompts) stream them as they lie. Measured on the 1024x12 model (2-core
/// AVX2 VM, docs/benchmarks.md): with the transpose in registers packing
/// won at 128 rows (286-289 against 329-336 ms) and 512 (1016-1138
/// against 1314-1343), and tied within the machine's noise at 64.
constexpr int64_t kPackedMinRows = 128;
/// Rows of the packed microkernel's register tile.
constexpr int64_t kPackedRows = 6;

/// The transpose of the W x W tile whose rows are `rows` (W a power of
/// two): log2 W stages of 1-D shuffles, stage b swapping, in every pair of
/// rows r and r + b (r & b == 0), the upper b columns of each 2b group of
/// row r with the lower b of row r + b (the block transpose, recursively).
SmallVector<Value> transposeTile(RowEmitter &e, ArrayRef<Value> rows) {
  int64_t w = e.width;
  SmallVector<Value> out(rows.begin(), rows.end());
  for (int64_t b = w / 2; b >= 1; b /= 2) {
    SmallVector<int64_t> low, high;
    for (int64_t j = 0; j < w; ++j) {
      int64_t g = j & ~(2 * b - 1), off = j - g;
      low.push_back(off < b ? g + off : w + g + off - b);
      high.push_back(off < b ? g + off + b : w + g + off);
    }
    for (int64_t r = 0; r < w; ++r) {
      if (r & b)
        continue;
      Value top = out[r], bottom = out[r + b];
      out[r] = vector::ShuffleOp::create(e.b, e.loc, top, bottom, low);
      out[r + b] = vector::ShuffleOp::create(e.b, e.loc, top, bottom, high);
    }
  }
  return out;
}

/// emitProjection's form for many rows (prefill): parallel over blocks of
/// NB = nr x W output columns; each task transposes its block of the
/// weights, [NB, in] as they lie, into a panel P[in][NB] (zero past the
/// last column), then runs every row through it, kPackedRows at a time:
/// acc[r][c] += x[t + r, k] * P[k, c W : (c + 1) W] over k, the inputs
/// broadcast, the panel's vectors contiguous, no reduction at the end. The
/// transpose costs 1 / rows of the multiply-adds (each panel serves every
/// row).
void emitPackedProjection(RowEmitter &e, GemmTile tile, Value x, Value w,
                          Value w2, Value residual, Value out,
                          Value numRows) {
  int64_t in = width(x), outCols = width(w, 0);
  bool swiglu = bool(w2);
  int64_t nr = std::max<int64_t>(1, swiglu ? tile.cols / 2 : tile.cols);
  int64_t nb = nr * e.width;
  Value blocks = e.idx((outCols + nb - 1) / nb);
  e.parallel(blocks, [&](Value block) {
    Value o0 = e.imul(block, e.idx(nb));
    // The panels: P[k][j] = w[o0 + j][k], 0 where o0 + j >= out.
    auto packed = MemRefType::get({in, nb}, e.b.getF32Type());
    // The block's real columns, at most nb.
    Value cols = e.imin(e.isub(e.idx(outCols), o0), e.idx(nb));
    auto pack = [&](Value weight) {
      Value panel = memref::AllocOp::create(e.b, e.loc, packed,
                                            e.b.getI64IntegerAttr(64));
      // Scalar: panel rows [k0, k1), the block's real columns, zeros past.
      auto scalarRows = [&](Value k0, Value k1) {
        e.loop(k0, k1, 1, [&](Value k) {
          e.loop(e.idx(0), cols, 1, [&](Value j) {
            Value v = memref::LoadOp::create(e.b, e.loc, weight,
                                             ValueRange{e.iadd(o0, j), k});
            memref::StoreOp::create(e.b, e.loc, v, panel, ValueRange{k, j});
          });
          e.loop(cols, e.idx(nb), 1, [&](Value j) {
            memref::StoreOp::create(e.b, e.loc, e.f32(0), panel,
                                    ValueRange{k, j});
          });
        });
      };
      // A whole block: W x W tiles, W weight rows loaded as vectors and
      // transposed in registers (transposeTile), each panel row stored as
      // vectors; the inputs past the last multiple of W as scalars.
      int64_t fullK = in / e.width * e.width;
      Value whole = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::eq,
                                          cols, e.idx(nb));
      auto ifOp = scf::IfOp::create(e.b, e.loc, whole, /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard guard(e.b);
        e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        e.loop(e.idx(0), e.idx(fullK), e.width, [&](Value k0) {
          for (int64_t jb = 0; jb < nb; jb += e.width) {
            SmallVector<Value> rowsOfTile;
            for (int64_t r = 0; r < e.width; ++r)
              rowsOfTile.push_back(vector::LoadOp::create(
                  e.b, e.loc, e.vec(), weight,
                  ValueRange{e.iadd(o0, e.idx(jb + r)), k0}));
            SmallVector<Value> columns = transposeTile(e, rowsOfTile);
            for (int64_t c = 0; c < e.width; ++c)
              vector::StoreOp::create(e.b, e.loc, columns[c], panel,
                                      ValueRange{e.iadd(k0, e.idx(c)),
                                                 e.idx(jb)});
          }
        });
        scalarRows(e.idx(fullK), e.idx(in));
        e.b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scalarRows(e.idx(0), e.idx(in));
      }
      return panel;
    };
    Value pw = pack(w), pu = swiglu ? pack(w2) : Value();
    // The last block's columns past `out` are not stored.
    Value left = e.isub(e.idx(outCols), o0);
    SmallVector<Value> masks;
    for (int64_t c = 0; c < nr; ++c)
      masks.push_back(vector::CreateMaskOp::create(
          e.b, e.loc, VectorType::get({e.width}, e.b.getI1Type()),
          ValueRange{e.isub(left, e.idx(c * e.width))}));

    // m rows at t: the register tile, then its epilogue.
    auto microTile = [&](int64_t m, Value t) {
      int64_t perOut = swiglu ? 2 : 1;
      SmallVector<Value> init(m * nr * perOut, e.zero());
      SmallVector<Value> acc = e.loop(
          e.idx(0), e.idx(in), 1, init, [&](Value k, ValueRange args) {
            SmallVector<Value> ws, us;
            for (int64_t c = 0; c < nr; ++c) {
              Value col = e.idx(c * e.width);
              ws.push_back(vector::LoadOp::create(e.b, e.loc, e.vec(), pw,
                                                  ValueRange{k, col}));
              if (swiglu)
                us.push_back(vector::LoadOp::create(e.b, e.loc, e.vec(), pu,
                                                    ValueRange{k, col}));
            }
            SmallVector<Value> next;
            for (int64_t r = 0; r < m; ++r) {
              Value xs = e.splat(memref::LoadOp::create(
                  e.b, e.loc, x, ValueRange{e.iadd(t, e.idx(r)), k}));
              for (int64_t c = 0; c < nr; ++c) {
                int64_t a = (r * nr + c) * perOut;
                next.push_back(e.fma(xs, ws[c], args[a]));
                if (swiglu)
                  next.push_back(e.fma(xs, us[c], args[a + 1]));
              }
            }
            return next;
          });
      for (int64_t r = 0; r < m; ++r) {
        Value row = e.iadd(t, e.idx(r));
        for (int64_t c = 0; c < nr; ++c) {
          int64_t a = (r * nr + c) * perOut;
          Value o = e.iadd(o0, e.idx(c * e.width));
          Value y = acc[a];
          if (swiglu)
            y = e.mul(e.swish(y), acc[a + 1]);
          if (residual)
            y = e.add(y, e.load(residual, {row, o}, masks[c]));
          e.store(y, out, {row, o}, masks[c]);
        }
      }
    };
    Value fullRows = e.imul(
        arith::DivSIOp::create(e.b, e.loc, numRows, e.idx(kPackedRows)),
        e.idx(kPackedRows));
    e.loop(e.idx(0), fullRows, kPackedRows,
           [&](Value t) { microTile(kPackedRows, t); });
    e.loop(fullRows, numRows, 1, [&](Value t) { microTile(1, t); });
    memref::DeallocOp::create(e.b, e.loc, pw);
    if (pu)
      memref::DeallocOp::create(e.b, e.loc, pu);
  });
}

/// A projection: packed for many rows, streamed as the weights lie for
/// few (chosen at run time by the row count).
void emitProjectionForRows(RowEmitter &e, GemmTile tile, Value x, Value w,
                           Value w2, Value residual, Value out,
                           Value numRows) {
  Value many = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::sge,
                                     numRows, e.idx(kPackedMinRows));
  auto ifOp = scf::IfOp::create(e.b, e.loc, many, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(e.b);
  e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  emitPackedProjection(e, tile, x, w, w2, residual, out, numRows);
  e.b.setInsertionPointToStart(&ifOp.getElseRegion().front());
  emitProjection(e, tile, x, w, w2, residual, out, numRows);
}

/// A constant f64 global holding base^(-2i/(2*half)), i < half, and a
/// memref.get_global of it at the rewriter's insertion point.
Value getInvFreqTable(IRRewriter &rewriter, Operation *op, int64_t half,
                      double base) {
  auto module = op->getParentOfType<ModuleOp>();
  Type f64 = rewriter.getF64Type();
  auto type = MemRefType::get({half}, f64);
  std::string name;
  llvm::raw_string_ostream(name)
      << "__retc_rotary_inv_freq_" << 2 * half << "_"
      << llvm::format_hex_no_prefix(llvm::bit_cast<uint64_t>(base), 16);
  if (!module.lookupSymbol(name)) {
    SmallVector<double> values;
    for (int64_t i = 0; i < half; ++i)
      values.push_back(std::pow(base, -2.0 * double(i) / double(2 * half)));
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(module.getBody());
    auto tensorType = RankedTensorType::get({half}, f64);
    memref::GlobalOp::create(
        rewriter, op->getLoc(), name, rewriter.getStringAttr("private"), type,
        DenseElementsAttr::get(tensorType, ArrayRef<double>(values)),
        /*constant=*/true, /*alignment=*/IntegerAttr());
  }
  return memref::GetGlobalOp::create(rewriter, op->getLoc(), type, name);
}

struct ConvertGraphToCPUPass
    : public retention::impl::ConvertRetentionGraphToCPUBase<
          ConvertGraphToCPUPass> {
  using ConvertRetentionGraphToCPUBase::ConvertRetentionGraphToCPUBase;

  LogicalResult lower(IRRewriter &rewriter, Operation *op) {
    // Only the row count may be dynamic: widths size registers and loops.
    // Half types (a GPU model's) have no CPU lowering.
    for (Value v : llvm::concat<Value>(op->getOperands(), op->getResults())) {
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type)
        continue;
      if (isa<FloatType>(type.getElementType()) &&
          !type.getElementType().isF32())
        return op->emitOpError("with ")
               << type.getElementType()
               << " operands has no CPU lowering yet (f32 only)";
      // A 1-D integer tensor is one value a row (tokens, positions).
      bool perRow = type.getRank() == 1 && isa<IntegerType>(type.getElementType());
      for (int64_t d = type.getRank() == 1 && !perRow ? 0 : 1;
           d < type.getRank(); ++d)
        if (type.isDynamicDim(d) && !isa<EmbeddingOp>(op))
          return op->emitOpError("needs static widths to be lowered to the "
                                 "CPU (only the number of rows may be "
                                 "dynamic)");
    }
    rewriter.setInsertionPoint(op);
    Location loc = op->getLoc();
    Lowering l{rewriter, op, loc};
    RowEmitter e(rewriter, loc, vectorWidth);
    GemmTile tile{microRows, microCols, rowTile, colTile};

    if (auto lin = dyn_cast<LinearOp>(op)) {
      if (lin.getNorm())
        return op->emitOpError("with a fused norm has no CPU lowering (the "
                               "GPU's gemv kernel takes it)");
      Value x = l.buffer(lin.getX());
      Value n = l.rows(x);
      Value out = l.allocResult(n);
      Value weight = l.buffer(lin.getWeight());
      Value residual =
          lin.getResidual() ? l.buffer(lin.getResidual()) : Value();
      emitProjectionForRows(e, tile, x, weight, Value(), residual, out, n);
      l.replace(out);
      return success();
    }
    if (isa<LinearGroupOp>(op))
      return op->emitOpError("has no CPU lowering (the GPU's gemv kernel "
                             "takes it; on the CPU each projection is its "
                             "own loop nest)");
    if (auto sw = dyn_cast<SwiGLULinearOp>(op)) {
      if (sw.getNorm())
        return op->emitOpError("with a fused norm has no CPU lowering (the "
                               "GPU's gemv kernel takes it)");
      Value x = l.buffer(sw.getX());
      Value n = l.rows(x);
      Value out = l.allocResult(n);
      Value gate = l.buffer(sw.getGateWeight());
      Value up = l.buffer(sw.getUpWeight());
      emitProjectionForRows(e, tile, x, gate, up, Value(), out, n);
      l.replace(out);
      return success();
    }
    if (auto emb = dyn_cast<EmbeddingOp>(op)) {
      Value tokens = l.buffer(emb.getTokens());
      Value table = l.buffer(emb.getTable());
      Value n = memref::DimOp::create(rewriter, loc, tokens, 0);
      Value out = l.allocResult(n);
      int64_t d = width(table);
      e.parallel(n, [&](Value t) {
        Value id = arith::IndexCastOp::create(
            e.b, loc, e.b.getIndexType(),
            memref::LoadOp::create(e.b, loc, tokens, ValueRange{t}));
        e.overRow(d, [&](Value j, Value m) {
          e.store(e.load(table, {id, j}, m), out, {t, j}, m);
        });
      });
      l.replace(out);
      return success();
    }
    if (auto norm = dyn_cast<RMSNormOp>(op)) {
      Value x = l.buffer(norm.getX()), w = l.buffer(norm.getWeight());
      Value n = l.rows(x);
      Value out = l.allocResult(n);
      int64_t d = width(x);
      double eps = norm.getEps().convertToDouble();
      e.parallel(n, [&](Value t) {
        Value ss = e.overRow(d, ValueRange{e.zero()},
                             [&](Value j, Value m, ValueRange acc) {
                               Value v = e.load(x, {t, j}, m);
                               return SmallVector<Value>{e.fma(v, v, acc[0])};
                             })[0];
        Value inv = e.splat(e.inverseRms(ss, d, eps));
        e.overRow(d, [&](Value j, Value m) {
          Value normed = e.mul(e.load(x, {t, j}, m), inv);
          Value y = e.mul(normed, e.load(w, {j}, m));
          e.store(y, out, {t, j}, m);
        });
      });
      l.replace(out);
      return success();
    }
    if (auto gated = dyn_cast<GatedHeadNormOp>(op)) {
      Value o = l.buffer(gated.getO()), w = l.buffer(gated.getWeight());
      Value g = gated.getGate() ? l.buffer(gated.getGate()) : Value();
      Value n = l.rows(o);
      Value out = l.allocResult(n);
      int64_t hd = gated.getHeadDim(), heads = width(o) / hd;
      double eps = gated.getEps().convertToDouble();
      e.parallel2(n, e.idx(heads), [&](Value t, Value h) {
        Value base = e.imul(h, e.idx(hd));
        auto col = [&](Value j) { return e.iadd(base, j); };
        Value ss = e.overRow(hd, ValueRange{e.zero()},
                             [&](Value j, Value m, ValueRange acc) {
                               Value v = e.load(o, {t, col(j)}, m);
                               return SmallVector<Value>{e.fma(v, v, acc[0])};
                             })[0];
        Value inv = e.splat(e.inverseRms(ss, hd, eps));
        e.overRow(hd, [&](Value j, Value m) {
          Value normed = e.mul(e.load(o, {t, col(j)}, m), inv);
          Value y = e.mul(normed, e.load(w, {j}, m));
          if (g)
            y = e.mul(y, e.swish(e.load(g, {t, col(j)}, m)));
          e.store(y, out, {t, col(j)}, m);
        });
      });
      l.replace(out);
      return success();
    }
    if (auto rot = dyn_cast<RotaryOp>(op)) {
      Value x = l.buffer(rot.getX());
      Value n = l.rows(x);
      Value out = l.allocResult(n);
      int64_t hd = rot.getHeadDim(), heads = width(x) / hd, half = hd / 2;
      bool interleaved = rot.getLayout() == "interleaved";
      double base = rot.getBase().convertToDouble();
      Type f64 = e.b.getF64Type();
      Value position = rot.getPosition();
      Value positions = rot.getPositions() ? l.buffer(rot.getPositions())
                                           : Value();
      // angle(t, i) = pos(t) * base^(-2i/hd), in f64 (pos(t) = position +
      // t, or positions[t]); cos and sin once per (row, pair), applied to
      // every head. The frequencies are a constant table.
      Value invFreqTable = getInvFreqTable(rewriter, op, half, base);
      e.parallel(n, [&](Value t) {
        Value pos64 =
            positions
                ? memref::LoadOp::create(e.b, loc, positions, ValueRange{t})
                      .getResult()
                : arith::IndexCastUIOp::create(e.b, loc, e.b.getI64Type(),
                                               e.iadd(position, t))
                      .getResult();
        Value pos = arith::UIToFPOp::create(e.b, loc, f64, pos64);
        Value firstPair = e.idx(0), pairsEnd = e.idx(half);
        e.loop(firstPair, pairsEnd, 1, [&](Value i) {
          Value invFreq =
              memref::LoadOp::create(e.b, loc, invFreqTable, ValueRange{i});
          Value angle = arith::MulFOp::create(e.b, loc, pos, invFreq);
          Type f32 = e.b.getF32Type();
          Value c = arith::TruncFOp::create(
              e.b, loc, f32, math::CosOp::create(e.b, loc, angle));
          Value s = arith::TruncFOp::create(
              e.b, loc, f32, math::SinOp::create(e.b, loc, angle));
          Value first = interleaved ? e.imul(i, e.idx(2)) : i;
          Value second = interleaved ? e.iadd(first, e.idx(1))
                                     : e.iadd(i, e.idx(half));
          Value firstHead = e.idx(0), headsEnd = e.idx(heads);
          e.loop(firstHead, headsEnd, 1, [&](Value h) {
            Value c0 = e.iadd(e.imul(h, e.idx(hd)), first);
            Value c1 = e.iadd(e.imul(h, e.idx(hd)), second);
            Value a = memref::LoadOp::create(e.b, loc, x, ValueRange{t, c0});
            Value b2 = memref::LoadOp::create(e.b, loc, x, ValueRange{t, c1});
            Value ac = e.mul(a, c), bs = e.mul(b2, s);
            memref::StoreOp::create(e.b, loc, e.sub(ac, bs), out,
                                    ValueRange{t, c0});
            Value bc = e.mul(b2, c), as = e.mul(a, s);
            memref::StoreOp::create(e.b, loc, e.add(bc, as), out,
                                    ValueRange{t, c1});
          });
        });
      });
      l.replace(out);
      return success();
    }
    if (auto rep = dyn_cast<RepeatHeadsOp>(op)) {
      Value x = l.buffer(rep.getX());
      Value n = l.rows(x);
      Value out = l.allocResult(n);
      int64_t hd = rep.getHeadDim(), heads = width(x) / hd,
              groups = rep.getGroups();
      e.parallel2(n, e.idx(heads * groups), [&](Value t, Value h) {
        Value group = arith::DivSIOp::create(e.b, loc, h, e.idx(groups));
        Value src = e.imul(group, e.idx(hd));
        Value dst = e.imul(h, e.idx(hd));
        e.overRow(hd, [&](Value j, Value m) {
          Value y = e.load(x, {t, e.iadd(src, j)}, m);
          e.store(y, out, {t, e.iadd(dst, j)}, m);
        });
      });
      l.replace(out);
      return success();
    }
    if (auto choice = dyn_cast<NextTokenOp>(op)) {
      // Each row scanned in order: the first of its largest logits, as the
      // GPU kernel's rule gives it (a NaN never taken; the first number
      // taken even if it is -inf, equal to the start; a row of NaNs gives
      // token 0).
      Value logits = l.buffer(choice.getLogits());
      Value positions = l.buffer(choice.getPositions());
      Value n = l.rows(logits);
      Value tokens = l.allocResult(n, 0);
      Value next = l.allocResult(n, 1);
      int64_t vocab = width(logits);
      e.parallel(n, [&](Value t) {
        Value lowest = arith::ConstantOp::create(
            e.b, loc,
            e.b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
        auto scan = scf::ForOp::create(
            e.b, loc, e.idx(0), e.idx(vocab), e.idx(1),
            ValueRange{lowest, e.idx(vocab)},
            [&](OpBuilder &b, Location, Value j, ValueRange best) {
              Value x = memref::LoadOp::create(b, loc, logits, ValueRange{t, j});
              Value greater = arith::OrIOp::create(
                  b, loc,
                  arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                        best[0]),
                  arith::AndIOp::create(
                      b, loc,
                      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                            x, best[0]),
                      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            best[1], e.idx(vocab))));
              scf::YieldOp::create(
                  b, loc,
                  ValueRange{
                      arith::SelectOp::create(b, loc, greater, x, best[0]),
                      arith::SelectOp::create(b, loc, greater, j, best[1])});
            });
        Value index = scan.getResult(1);
        Value found = arith::CmpIOp::create(
            e.b, loc, arith::CmpIPredicate::slt, index, e.idx(vocab));
        index = arith::SelectOp::create(e.b, loc, found, index, e.idx(0));
        memref::StoreOp::create(
            e.b, loc,
            arith::IndexCastOp::create(e.b, loc, e.b.getI32Type(), index),
            tokens, ValueRange{t});
        Value position =
            memref::LoadOp::create(e.b, loc, positions, ValueRange{t});
        Value one = arith::ConstantOp::create(e.b, loc, e.b.getI64IntegerAttr(1));
        memref::StoreOp::create(e.b, loc,
                                arith::AddIOp::create(e.b, loc, position, one),
                                next, ValueRange{t});
      });
      l.replace({tokens, next});
      return success();
    }
    if (auto last = dyn_cast<LastRowsOp>(op)) {
      // Row n: x[offsets[n + 1] - 1].
      Value x = l.buffer(last.getX());
      Value offsets = l.buffer(last.getOffsets());
      Value bounds = memref::DimOp::create(rewriter, loc, offsets, 0);
      Value n = arith::SubIOp::create(rewriter, loc, bounds,
                                      arith::ConstantIndexOp::create(
                                          rewriter, loc, 1));
      Value out = l.allocResult(n);
      e.parallel(n, [&](Value t) {
        Value end = memref::LoadOp::create(e.b, loc, offsets,
                                           ValueRange{e.iadd(t, e.idx(1))});
        Value row = arith::SubIOp::create(
            e.b, loc,
            arith::IndexCastOp::create(e.b, loc, e.b.getIndexType(), end),
            e.idx(1));
        e.overRow(width(x), [&](Value j, Value m) {
          e.store(e.load(x, {row, j}, m), out, {t, j}, m);
        });
      });
      l.replace(out);
      return success();
    }
    if (isa<AddOp, SwiGLUOp>(op)) {
      Value a = l.buffer(op->getOperand(0)), c = l.buffer(op->getOperand(1));
      Value n = l.rows(a);
      Value out = l.allocResult(n);
      bool isAdd = isa<AddOp>(op);
      e.parallel(n, [&](Value t) {
        e.overRow(width(a), [&](Value j, Value m) {
          Value va = e.load(a, {t, j}, m), vc = e.load(c, {t, j}, m);
          e.store(isAdd ? e.add(va, vc) : e.mul(e.swish(va), vc), out, {t, j},
                  m);
        });
      });
      l.replace(out);
      return success();
    }
    return failure();
  }

  void runOnOperation() override {
    if (vectorWidth <= 0 || vectorWidth > 64 || microRows <= 0 ||
        microRows > 8 || microCols <= 0 || microCols > 8 || rowTile <= 0 ||
        colTile <= 0) {
      getOperation()->emitError(
          "convert-retention-graph-to-cpu: vector-width must be in [1, 64], "
          "mr and nr in [1, 8], row-tile and col-tile positive");
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<EmbeddingOp, RMSNormOp, LinearOp, SwiGLUOp, SwiGLULinearOp,
              LinearGroupOp, RotaryOp, RepeatHeadsOp, GatedHeadNormOp,
              AddOp, NextTokenOp, LastRowsOp>(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops)
      if (failed(lower(rewriter, op)))
        return signalPassFailure();
    // exp as polynomials: vectorizable, no libm call per lane.
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) {
          return name == math::ExpOp::getOperationName();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
