//===- GraphKernels.cpp - GPU kernels of the model's graph ops ------------===//
//
// See GraphKernels.h. A row of N f32 is P = N / v pieces of v = 4, 2 or 1
// elements (the most that divides every width involved: 16-, 8- or 4-byte
// loads and stores). The layouts:
//
//   add, swiglu      the row's TPR threads take pieces t, t + TPR, ...;
//                    TPR = P rounded up to a power of two while P <= 32,
//                    else to whole warps, at most 512. Narrow rows share a
//                    block (up to 128 threads, each row TPR of them).
//   embedding        the same over the table's width; each thread reads the
//                    row's token id itself (one broadcast load a warp).
//   repeat_heads     the same over the input's pieces (v divides head_dim);
//                    a piece is read once and stored `groups` times.
//   rms_norm         the same; each thread's sum of squares, then xor
//                    shuffles over the row's lanes of a warp and, for rows
//                    of several warps, the warps' sums through shared
//                    memory (one barrier); the pieces stay in registers
//                    from the sum to the scaling where a thread has at most
//                    8 (else they are read again).
//   gated_head_norm  a group of G lanes per head (G = the head's pieces
//                    rounded up to a power of two, at most 32) sums the
//                    head's squares over xor shuffles within the group; the
//                    row's groups take heads g, g + groups, ...; a thread
//                    reads its weight pieces once, for all its heads.
//   rotary           thread (j, g) of a row owns pair piece j (v pairs of
//                    rotate_half, v / 2 of interleaved) of heads g,
//                    g + groups, ...: its sines and cosines are computed
//                    once and rotate every head it owns.
//
// A thread's pieces are visited in rounds, up to 8 straight-line with all
// their loads issued before the first use, beyond that a loop of batches of
// 4. Rows past `rows` are masked per load and store, never around a
// shuffle or barrier (the lanes of a warp may hold several rows).
//
// Numerics (f32 throughout), as convert-gpu-to-nvvm and libdevice lower
// them for sm_80 and sm_90: the norms' mean is an IEEE division (div.rn),
// 1 / sqrt(mean + eps) is math.rsqrt (__nv_rsqrtf: rsqrt.approx.f32,
// relative error below 2^-22.9; libdevice's sqrtf would be sqrt.approx
// too, as nvvm-reflect leaves __CUDA_PREC_SQRT off); swish(g) =
// g / (1 + exp(-g)) with __nv_expf (2 ulp) and div.rn. Rotary's angle is
// float(position + row) * inv_freq, one f32 multiply (positions exact
// below 2^24; no add follows, so nothing contracts it into an fma), with
// inv_freq = base^(-2i/D) computed in double here and rounded to f32 into
// a table, then math.sincos (__nv_sincosf: 2 ulp, with Payne-Hanek
// reduction of large angles, so the angle is reduced exactly however large
// it is). The angle's own rounding, half an ulp of it, is what remains:
// 3e-2 rad at 1e6 rad, as in flash-linear-attention's f32 computation;
// the CPU lowering computes the angle and its sine and cosine in f64.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GraphKernels.h"
#include "codegen/gpu/GpuKernelBuilder.h"
#include "codegen/gpu/MmaFragments.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::retention;

namespace {

/// Threads of one row at most (rms_norm, the elementwise ops, a row's
/// head groups).
constexpr int64_t kMaxRowThreads = 512;
/// Narrow rows share a block until it has this many threads.
constexpr int64_t kMinBlockThreads = 128;
/// Threads of one rotary row at most: each rotates two heads or more once
/// a row has 16 pair pieces a head and 32 heads (D = 128), so that a sine
/// and cosine serve at least two heads.
constexpr int64_t kRotaryRowThreads = 256;
/// Rounds of a thread's pieces emitted straight-line; beyond, a loop over
/// batches of kBatchRounds.
constexpr int64_t kMaxUnrolledRounds = 8;
constexpr int64_t kBatchRounds = 4;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

/// The widest piece (4, 2 or 1 f32) that divides every width in `widths`.
int64_t pieceWidth(ArrayRef<int64_t> widths) {
  for (int64_t v : {4, 2})
    if (llvm::all_of(widths, [&](int64_t w) { return w % v == 0; }))
      return v;
  return 1;
}

/// Threads for `units` parallel units of a row: a power of two up to 32
/// (so a row's lanes are an aligned group of a warp, which xor shuffles
/// keep to), else whole warps, at most `cap` (units are then strided).
int64_t rowThreadsFor(int64_t units, int64_t cap) {
  if (units <= 32)
    return int64_t(llvm::PowerOf2Ceil(uint64_t(units)));
  return std::min(roundUp(units, 32), cap);
}

/// Rows a block holds: up to kMinBlockThreads threads, at most maxRows.
int64_t rowsPerBlockFor(int64_t rowThreads, int64_t maxRows) {
  return std::clamp<int64_t>(kMinBlockThreads / rowThreads, 1, maxRows);
}

/// How a kernel's threads cover its rows.
struct RowLayout {
  int64_t rowThreads = 1;   ///< TPR: the threads of one row
  int64_t rowsPerBlock = 1; ///< rows of one block
  int64_t sharedBytes = 0;

  int64_t blockThreads() const { return rowThreads * rowsPerBlock; }
};

/// The thread's row and its place in it.
struct RowPlace {
  Value tid; ///< thread in block
  Value t;   ///< thread in row, < rowThreads
  Value row; ///< may be past maxRows in the last block
  Value ok;  ///< row < rows
};

/// A thread's items first, first + stride, ... below n: round k holds item
/// first + k * stride; rounds below n / stride hold items below n for every
/// thread, the last round (where stride does not divide n) is checked.
struct Strided {
  Value first;
  int64_t n, stride;
};

/// The loads of one item where `ok` (the values it needs).
using LoadFn = function_ref<SmallVector<Value>(Value item, Value ok)>;
/// The use of one item's loaded values, carrying `acc`: the new acc.
using UseFn = function_ref<SmallVector<Value>(
    Value item, Value ok, ArrayRef<Value> loaded, ArrayRef<Value> acc)>;

/// Kernel code at a builder: the Emitter's vocabulary plus what the graph
/// kernels share.
struct GraphEmitter {
  Emitter &e;

  Value divC(Value a, int64_t d) {
    return arith::DivUIOp::create(e.b, e.loc, a, e.idx(d));
  }
  Value remC(Value a, int64_t d) {
    return arith::RemUIOp::create(e.b, e.loc, a, e.idx(d));
  }
  Value mulC(Value a, int64_t c) { return e.muli(a, e.idx(c)); }
  Value addC(Value a, int64_t c) { return e.addi(a, e.idx(c)); }

  VectorType piece(int64_t v) { return VectorType::get({v}, e.b.getF32Type()); }
  Value splat(Value scalar, int64_t v) {
    return vector::BroadcastOp::create(e.b, e.loc, piece(v), scalar);
  }
  Value constPiece(double value, int64_t v) {
    return arith::ConstantOp::create(
        e.b, e.loc,
        DenseElementsAttr::get(piece(v), e.b.getF32FloatAttr(float(value))));
  }
  Value mulf(Value x, Value y) { return e.mulf(x, y); }
  Value divf(Value x, Value y) {
    return arith::DivFOp::create(e.b, e.loc, x, y);
  }
  Value negf(Value x) { return arith::NegFOp::create(e.b, e.loc, x); }

  /// buf[idx..] as a piece of v f32 (widened from buf's bf16 or f16);
  /// zeros where `ok` is false (null: always loaded).
  Value load(Value buf, ValueRange idx, int64_t v, Value ok) {
    Type elt = cast<MemRefType>(buf.getType()).getElementType();
    auto stored = VectorType::get({v}, elt);
    Value x = ok ? maskedLoad(e, ok, stored, buf, idx)
                 : loadVector(e, stored, buf, idx);
    if (elt.isF32())
      return x;
    return arith::ExtFOp::create(e.b, e.loc, piece(v), x);
  }
  /// Stores piece x at buf[idx..] where `ok`, rounded to buf's element
  /// type.
  void store(Value x, Value buf, ValueRange idx, Value ok) {
    Type elt = cast<MemRefType>(buf.getType()).getElementType();
    e.ifThen(ok, [&] {
      Value y = x;
      if (!elt.isF32())
        y = arith::TruncFOp::create(
            e.b, e.loc,
            VectorType::get({cast<VectorType>(x.getType()).getNumElements()},
                            elt),
            x);
      storeVector(e, y, buf, idx);
    });
  }

  /// swish(g) = g / (1 + exp(-g)), as the CPU lowering computes it.
  Value swish(Value g) {
    int64_t v = cast<VectorType>(g.getType()).getNumElements();
    Value ex = math::ExpOp::create(e.b, e.loc, negf(g));
    return divf(g, e.addf(constPiece(1, v), ex));
  }

  /// buf[row] where `ok`, else `fallback` (a row past `rows` reads
  /// nothing): a row's token id or position.
  Value loadRowValue(Value buf, Value row, Value ok, Value fallback) {
    auto ifOp = scf::IfOp::create(e.b, e.loc, TypeRange{fallback.getType()},
                                  ok, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(e.b);
    e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    scf::YieldOp::create(
        e.b, e.loc,
        memref::LoadOp::create(e.b, e.loc, buf, ValueRange{row}).getResult());
    e.b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    scf::YieldOp::create(e.b, e.loc, fallback);
    return ifOp.getResult(0);
  }

  /// ((x0 + x1) + (x2 + x3)): the elements of a piece summed pairwise.
  Value sumElements(Value x) {
    int64_t v = cast<VectorType>(x.getType()).getNumElements();
    SmallVector<Value> parts;
    for (int64_t i = 0; i < v; ++i)
      parts.push_back(vector::ExtractOp::create(e.b, e.loc, x, i));
    while (parts.size() > 1) {
      SmallVector<Value> next;
      for (size_t i = 0; i + 1 < parts.size(); i += 2)
        next.push_back(e.addf(parts[i], parts[i + 1]));
      if (parts.size() % 2)
        next.push_back(parts.back());
      parts = next;
    }
    return parts[0];
  }

  /// The sum of x over aligned groups of `lanes` lanes (a power of two up
  /// to 32), every lane receiving its group's: xor shuffles.
  Value sumOverLanes(Value x, int64_t lanes) {
    for (int32_t d = int32_t(lanes / 2); d >= 1; d /= 2) {
      auto shuffle =
          gpu::ShuffleOp::create(e.b, e.loc, x, d, 32, gpu::ShuffleMode::XOR);
      x = e.addf(x, shuffle.getShuffleResult());
    }
    return x;
  }

  /// rsqrt(sumOfSquares / n + eps), as the CPU lowering computes it.
  Value inverseRms(Value sumOfSquares, int64_t n, double eps) {
    Value mean = divf(sumOfSquares, e.f32(double(n)));
    return math::RsqrtOp::create(e.b, e.loc, e.addf(mean, e.f32(eps)));
  }

  /// The thread's row: rowsPerBlock rows a block, rowThreads threads each.
  RowPlace placeRow(const RowLayout &layout, Value rows) {
    RowPlace p;
    p.tid = gpu::ThreadIdOp::create(e.b, e.loc, gpu::Dimension::x);
    Value block = gpu::BlockIdOp::create(e.b, e.loc, gpu::Dimension::x);
    Value first = mulC(block, layout.rowsPerBlock);
    if (layout.rowsPerBlock == 1) {
      p.t = p.tid;
      p.row = first;
    } else {
      p.t = remC(p.tid, layout.rowThreads);
      p.row = e.addi(first, divC(p.tid, layout.rowThreads));
    }
    p.ok = e.lt(p.row, rows);
    return p;
  }

  /// Visits the thread's items of `s` where `ok`: the loads of a batch of
  /// rounds first, then their uses in order, carrying `acc` (returned).
  SmallVector<Value> overItems(const Strided &s, Value ok, ValueRange acc,
                               LoadFn load, UseFn use) {
    int64_t full = s.n / s.stride;
    bool tail = s.n % s.stride != 0;
    auto batch = [&](Value firstRound, int64_t count, bool lastChecked,
                     SmallVector<Value> carried) {
      SmallVector<Value> items, oks;
      SmallVector<SmallVector<Value>> loaded;
      for (int64_t u = 0; u < count; ++u) {
        Value round = addC(firstRound, u);
        Value item = e.addi(s.first, mulC(round, s.stride));
        Value itemOk = ok;
        if (lastChecked && u == count - 1)
          itemOk = e.andi(ok, e.lt(item, e.idx(s.n)));
        items.push_back(item);
        oks.push_back(itemOk);
        loaded.push_back(load(item, itemOk));
      }
      for (int64_t u = 0; u < count; ++u)
        carried = use(items[u], oks[u], loaded[u], carried);
      return carried;
    };
    SmallVector<Value> carried(acc.begin(), acc.end());
    if (full + tail <= kMaxUnrolledRounds)
      return batch(e.idx(0), full + tail, tail, carried);
    int64_t loops = full / kBatchRounds;
    auto loop = scf::ForOp::create(
        e.b, e.loc, e.idx(0), e.idx(loops), e.idx(1), carried,
        [&](OpBuilder &nb, Location, Value i, ValueRange inLoop) {
          OpBuilder::InsertionGuard guard(e.b);
          e.b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> next =
              batch(mulC(i, kBatchRounds), kBatchRounds, false,
                    SmallVector<Value>(inLoop.begin(), inLoop.end()));
          scf::YieldOp::create(e.b, e.loc, next);
        });
    carried.assign(loop.getResults().begin(), loop.getResults().end());
    int64_t rest = full % kBatchRounds + tail;
    if (rest)
      carried = batch(e.idx(loops * kBatchRounds), rest, tail, carried);
    return carried;
  }
};

/// Whether operand or result `v` of `op` has rows (dim 0 is the row count).
bool hasRows(Operation *op, Value v) {
  if (auto emb = dyn_cast<EmbeddingOp>(op))
    return v != emb.getTable();
  if (auto norm = dyn_cast<RMSNormOp>(op))
    return v != norm.getWeight();
  if (auto gated = dyn_cast<GatedHeadNormOp>(op))
    return v != gated.getWeight();
  return true;
}

/// The kernel parameters of `op`: its tensor operands and results as
/// memrefs (rows: maxRows), `index rows`, rotary's `index position` (its
/// `at` form).
FailureOr<SmallVector<Type>> kernelParams(Operation *op, int64_t maxRows) {
  SmallVector<Type> params;
  auto add = [&](Value v) -> LogicalResult {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape());
    bool rows = hasRows(op, v);
    if (rows)
      shape[0] = maxRows;
    // N + 1 offsets for up to maxRows sequences.
    if (auto last = dyn_cast<LastRowsOp>(op); last && v == last.getOffsets())
      shape[0] = maxRows + 1;
    for (int64_t d : shape)
      if (ShapedType::isDynamic(d) || d <= 0)
        return op->emitOpError("needs positive static sizes (but for the row "
                               "count) to be lowered to a GPU kernel, got ")
               << type;
    params.push_back(MemRefType::get(shape, type.getElementType()));
    return success();
  };
  for (Value v : op->getOperands())
    if (isa<RankedTensorType>(v.getType()) && failed(add(v)))
      return failure();
  for (Value r : op->getResults())
    if (failed(add(r)))
      return failure();
  Type index = IndexType::get(op->getContext());
  params.push_back(index);
  if (auto rotary = dyn_cast<RotaryOp>(op); rotary && rotary.getPosition())
    params.push_back(index);
  return params;
}

/// Width (dim 1) of a row-shaped value.
int64_t widthOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getDimSize(1);
}

/// Creates the kernel with `layout`'s launch for maxRows (and its
/// rows_per_block in `retention.launch`); its body.
Block &createKernel(OpBuilder &b, Location loc, StringRef name,
                    ArrayRef<Type> params, const RowLayout &layout,
                    int64_t maxRows) {
  gpu::GPUFuncOp kernel = createKernelFunc(
      b, loc, name, params, {}, {ceilDiv(maxRows, layout.rowsPerBlock), 1, 1},
      {layout.blockThreads(), 1, 1}, layout.sharedBytes);
  // The launch for fewer rows scales the grid by rows_per_block.
  StringRef launchName = RetentionDialect::LaunchAttrHelper::getNameStr();
  NamedAttrList launch(kernel->getAttrOfType<DictionaryAttr>(launchName));
  launch.set("rows_per_block", b.getI64IntegerAttr(layout.rowsPerBlock));
  kernel->setAttr(launchName, launch.getDictionary(b.getContext()));
  return kernel.getBody().front();
}

/// Marks parameter `i` (a weight or table: never written, never the
/// result) read-only and not aliased, for the read-only data path.
void markWeight(OpBuilder &b, Block &body, unsigned i) {
  auto kernel = cast<gpu::GPUFuncOp>(body.getParentOp());
  kernel.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                    b.getUnitAttr());
  kernel.setArgAttr(i, LLVM::LLVMDialect::getReadonlyAttrName(),
                    b.getUnitAttr());
}

/// The row layout of `pieces` pieces a row, each a thread's unit.
RowLayout piecesLayout(int64_t pieces, int64_t maxRows) {
  RowLayout l;
  l.rowThreads = rowThreadsFor(pieces, kMaxRowThreads);
  l.rowsPerBlock = rowsPerBlockFor(l.rowThreads, maxRows);
  return l;
}

//===----------------------------------------------------------------------===//
// The elementwise kernels: add, swiglu, embedding, repeat_heads
//===----------------------------------------------------------------------===//

/// add and swiglu: out = lhs + rhs, or swish(gate) * up.
RowLayout buildElementwise(OpBuilder &b, Location loc, StringRef name,
                           Operation *op, ArrayRef<Type> params,
                           int64_t maxRows) {
  int64_t n = widthOf(op->getResult(0));
  int64_t v = pieceWidth({n});
  RowLayout layout = piecesLayout(n / v, maxRows);
  Block &body = createKernel(b, loc, name, params, layout, maxRows);
  Emitter e{b, loc};
  GraphEmitter g{e};
  Value lhs = body.getArgument(0), rhs = body.getArgument(1);
  Value out = body.getArgument(2), rows = body.getArgument(3);
  bool isAdd = isa<AddOp>(op);
  RowPlace p = g.placeRow(layout, rows);
  g.overItems(
      {p.t, n / v, layout.rowThreads}, p.ok, {},
      [&](Value item, Value ok) -> SmallVector<Value> {
        Value col = g.mulC(item, v);
        return {g.load(lhs, {p.row, col}, v, ok),
                g.load(rhs, {p.row, col}, v, ok)};
      },
      [&](Value item, Value ok, ArrayRef<Value> x,
          ArrayRef<Value>) -> SmallVector<Value> {
        Value y = isAdd ? e.addf(x[0], x[1]) : g.mulf(g.swish(x[0]), x[1]);
        g.store(y, out, {p.row, g.mulC(item, v)}, ok);
        return {};
      });
  gpu::ReturnOp::create(b, loc);
  return layout;
}

/// A gather of whole rows of width `d`: out[t] = src[sourceRow(t)], with
/// src parameter `srcArg`, the per-row indices parameter `indexArg`, out
/// and rows after them; `sourceRow` reads the row's source from the
/// indices (only for rows before `rows`: p.ok).
RowLayout buildRowGather(
    OpBuilder &b, Location loc, StringRef name, ArrayRef<Type> params,
    int64_t maxRows, int64_t d, unsigned srcArg, unsigned indexArg,
    bool srcIsWeight,
    function_ref<Value(GraphEmitter &, Value indices, const RowPlace &)>
        sourceRow) {
  int64_t v = pieceWidth({d});
  RowLayout layout = piecesLayout(d / v, maxRows);
  Block &body = createKernel(b, loc, name, params, layout, maxRows);
  if (srcIsWeight)
    markWeight(b, body, srcArg);
  Emitter e{b, loc};
  GraphEmitter g{e};
  Value src = body.getArgument(srcArg);
  Value out = body.getArgument(2), rows = body.getArgument(3);
  RowPlace p = g.placeRow(layout, rows);
  Value from = sourceRow(g, body.getArgument(indexArg), p);
  g.overItems(
      {p.t, d / v, layout.rowThreads}, p.ok, {},
      [&](Value item, Value ok) -> SmallVector<Value> {
        return {g.load(src, {from, g.mulC(item, v)}, v, ok)};
      },
      [&](Value item, Value ok, ArrayRef<Value> x,
          ArrayRef<Value>) -> SmallVector<Value> {
        g.store(x[0], out, {p.row, g.mulC(item, v)}, ok);
        return {};
      });
  gpu::ReturnOp::create(b, loc);
  return layout;
}

/// embedding: out[t] = table[tokens[t]].
RowLayout buildEmbedding(OpBuilder &b, Location loc, StringRef name,
                         EmbeddingOp op, ArrayRef<Type> params,
                         int64_t maxRows) {
  return buildRowGather(
      b, loc, name, params, maxRows, widthOf(op.getResult()), /*srcArg=*/1,
      /*indexArg=*/0, /*srcIsWeight=*/true,
      [&](GraphEmitter &g, Value tokens, const RowPlace &p) -> Value {
        // The row's token id (0 for rows past `rows`, never used).
        Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
        return arith::IndexCastOp::create(
            b, loc, b.getIndexType(), g.loadRowValue(tokens, p.row, p.ok, zero));
      });
}

/// last_rows: out[n] = x[offsets[n + 1] - 1], the last row of each of the
/// `rows` packed sequences (x and offsets sized for maxRows rows, offsets
/// one more).
RowLayout buildLastRows(OpBuilder &b, Location loc, StringRef name,
                        LastRowsOp op, ArrayRef<Type> params,
                        int64_t maxRows) {
  return buildRowGather(
      b, loc, name, params, maxRows, widthOf(op.getResult()), /*srcArg=*/0,
      /*indexArg=*/1, /*srcIsWeight=*/false,
      [&](GraphEmitter &g, Value offsets, const RowPlace &p) -> Value {
        // The row's source (row 0 for rows past `rows`, never used).
        Value one = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
        Value next = g.e.addi(p.row, g.e.idx(1));
        Value end = g.loadRowValue(offsets, next, p.ok, one);
        return arith::IndexCastOp::create(
            b, loc, b.getIndexType(), arith::SubIOp::create(b, loc, end, one));
      });
}

/// repeat_heads: input head h becomes heads h * groups .. + groups - 1.
RowLayout buildRepeatHeads(OpBuilder &b, Location loc, StringRef name,
                           RepeatHeadsOp op, ArrayRef<Type> params,
                           int64_t maxRows) {
  int64_t hd = int64_t(op.getHeadDim()), groups = int64_t(op.getGroups());
  int64_t n = widthOf(op.getX());
  int64_t v = pieceWidth({hd});
  int64_t headPieces = hd / v;
  RowLayout layout = piecesLayout(n / v, maxRows);
  Block &body = createKernel(b, loc, name, params, layout, maxRows);
  Emitter e{b, loc};
  GraphEmitter g{e};
  Value x = body.getArgument(0), out = body.getArgument(1);
  Value rows = body.getArgument(2);
  RowPlace p = g.placeRow(layout, rows);
  g.overItems(
      {p.t, n / v, layout.rowThreads}, p.ok, {},
      [&](Value item, Value ok) -> SmallVector<Value> {
        return {g.load(x, {p.row, g.mulC(item, v)}, v, ok)};
      },
      [&](Value item, Value ok, ArrayRef<Value> piece,
          ArrayRef<Value>) -> SmallVector<Value> {
        Value head = g.divC(item, headPieces);
        Value inHead = g.remC(item, headPieces);
        Value firstCopy = g.mulC(head, groups);
        for (int64_t copy = 0; copy < groups; ++copy) {
          Value outHead = g.addC(firstCopy, copy);
          Value outPiece = e.addi(g.mulC(outHead, headPieces), inHead);
          g.store(piece[0], out, {p.row, g.mulC(outPiece, v)}, ok);
        }
        return {};
      });
  gpu::ReturnOp::create(b, loc);
  return layout;
}

//===----------------------------------------------------------------------===//
// The norms: rms_norm, gated_head_norm
//===----------------------------------------------------------------------===//

/// rms_norm: out = x / sqrt(mean(x^2) + eps) * weight, over each row.
RowLayout buildRMSNorm(OpBuilder &b, Location loc, StringRef name, RMSNormOp op,
                       ArrayRef<Type> params, int64_t maxRows) {
  int64_t n = widthOf(op.getX());
  int64_t v = pieceWidth({n});
  int64_t pieces = n / v;
  double eps = op.getEps().convertToDouble();
  RowLayout layout = piecesLayout(pieces, maxRows);
  int64_t rowWarps = layout.rowThreads > 32 ? layout.rowThreads / 32 : 0;
  layout.sharedBytes = rowWarps * layout.rowsPerBlock * 4;
  Block &body = createKernel(b, loc, name, params, layout, maxRows);
  markWeight(b, body, 1);
  Emitter e{b, loc};
  GraphEmitter g{e};
  Value x = body.getArgument(0), weight = body.getArgument(1);
  Value out = body.getArgument(2), rows = body.getArgument(3);
  Value partials;
  if (rowWarps) {
    auto partialsType =
        MemRefType::get({rowWarps * layout.rowsPerBlock}, b.getF32Type(),
                        MemRefLayoutAttrInterface(),
                        gpu::AddressSpaceAttr::get(
                            b.getContext(), gpu::AddressSpace::Workgroup));
    partials = viewDynamicShared(e, {partialsType})[0];
  }
  RowPlace p = g.placeRow(layout, rows);
  Strided row{p.t, pieces, layout.rowThreads};
  int64_t rounds = ceilDiv(pieces, layout.rowThreads);
  bool resident = rounds <= kMaxUnrolledRounds;

  // The thread's pieces of x (kept where resident) and its sum of squares.
  SmallVector<Value> xs, ws;
  SmallVector<Value> acc = g.overItems(
      row, p.ok, {g.constPiece(0, v)},
      [&](Value item, Value ok) -> SmallVector<Value> {
        Value col = g.mulC(item, v);
        SmallVector<Value> loaded{g.load(x, {p.row, col}, v, ok)};
        if (resident)
          loaded.push_back(g.load(weight, {col}, v, ok));
        return loaded;
      },
      [&](Value, Value, ArrayRef<Value> loaded,
          ArrayRef<Value> sum) -> SmallVector<Value> {
        if (resident) {
          xs.push_back(loaded[0]);
          ws.push_back(loaded[1]);
        }
        return {e.fma(loaded[0], loaded[0], sum[0])};
      });
  Value sum = g.sumOverLanes(g.sumElements(acc[0]),
                             std::min<int64_t>(layout.rowThreads, 32));
  if (rowWarps) {
    // The row's warps' sums, through shared memory.
    Value warp = g.divC(p.tid, 32);
    Value lane = g.remC(p.tid, 32);
    Value first = e.lt(lane, e.idx(1));
    e.ifThen(first,
             [&] { memref::StoreOp::create(b, loc, sum, partials, warp); });
    gpu::BarrierOp::create(b, loc);
    Value rowWarp0 = g.mulC(g.divC(warp, rowWarps), rowWarps);
    sum = memref::LoadOp::create(b, loc, partials, rowWarp0);
    for (int64_t w = 1; w < rowWarps; ++w)
      sum = e.addf(
          sum, memref::LoadOp::create(b, loc, partials, g.addC(rowWarp0, w)));
  }
  Value inv = g.splat(g.inverseRms(sum, n, eps), v);
  auto scaled = [&](Value item, Value ok, Value xPiece, Value wPiece) {
    Value y = g.mulf(g.mulf(xPiece, inv), wPiece);
    g.store(y, out, {p.row, g.mulC(item, v)}, ok);
  };
  if (resident) {
    // The same items in the same order as the first pass.
    size_t k = 0;
    g.overItems(
        row, p.ok, {}, [&](Value, Value) -> SmallVector<Value> { return {}; },
        [&](Value item, Value ok, ArrayRef<Value>,
            ArrayRef<Value>) -> SmallVector<Value> {
          scaled(item, ok, xs[k], ws[k]);
          ++k;
          return {};
        });
  } else {
    g.overItems(
        row, p.ok, {},
        [&](Value item, Value ok) -> SmallVector<Value> {
          Value col = g.mulC(item, v);
          return {g.load(x, {p.row, col}, v, ok), g.load(weight, {col}, v, ok)};
        },
        [&](Value item, Value ok, ArrayRef<Value> loaded,
            ArrayRef<Value>) -> SmallVector<Value> {
          scaled(item, ok, loaded[0], loaded[1]);
          return {};
        });
  }
  gpu::ReturnOp::create(b, loc);
  return layout;
}

/// gated_head_norm: per head, o / sqrt(mean(o^2) + eps) * weight
/// (* swish(gate)).
RowLayout buildGatedHeadNorm(OpBuilder &b, Location loc, StringRef name,
                             GatedHeadNormOp op, ArrayRef<Type> params,
                             int64_t maxRows) {
  int64_t hd = int64_t(op.getHeadDim());
  int64_t heads = widthOf(op.getO()) / hd;
  int64_t v = pieceWidth({hd});
  int64_t headPieces = hd / v;
  double eps = op.getEps().convertToDouble();
  bool gated = bool(op.getGate());
  // G lanes a head, each with `perLane` of its pieces.
  int64_t groupLanes =
      std::min<int64_t>(int64_t(llvm::PowerOf2Ceil(uint64_t(headPieces))), 32);
  int64_t perLane = ceilDiv(headPieces, groupLanes);
  int64_t groups = std::min(heads, kMaxRowThreads / groupLanes);
  RowLayout layout;
  layout.rowThreads = groups * groupLanes;
  layout.rowsPerBlock = rowsPerBlockFor(layout.rowThreads, maxRows);
  Block &body = createKernel(b, loc, name, params, layout, maxRows);
  markWeight(b, body, 1);
  Emitter e{b, loc};
  GraphEmitter g{e};
  Value o = body.getArgument(0), weight = body.getArgument(1);
  Value gate = gated ? body.getArgument(2) : Value();
  unsigned next = gated ? 3 : 2;
  Value out = body.getArgument(next), rows = body.getArgument(next + 1);
  RowPlace p = g.placeRow(layout, rows);
  Value group = g.divC(p.t, groupLanes);
  Value lane = g.remC(p.t, groupLanes);

  // The lane's pieces of a head (the same in every head) and of the weight.
  SmallVector<Value> cols, inside, ws;
  for (int64_t k = 0; k < perLane; ++k) {
    Value pieceIndex = g.addC(lane, k * groupLanes);
    Value col = g.mulC(pieceIndex, v);
    bool checked = (k + 1) * groupLanes > headPieces;
    Value ok = checked ? e.lt(pieceIndex, e.idx(headPieces)) : Value();
    cols.push_back(col);
    inside.push_back(ok);
    ws.push_back(g.load(weight, {col}, v, ok));
  }
  auto pieceOk = [&](Value headOk, int64_t k) {
    return inside[k] ? e.andi(headOk, inside[k]) : headOk;
  };
  g.overItems(
      {group, heads, groups}, p.ok, {},
      [&](Value head, Value ok) -> SmallVector<Value> {
        Value base = g.mulC(head, hd);
        SmallVector<Value> loaded;
        for (int64_t k = 0; k < perLane; ++k) {
          Value col = e.addi(base, cols[k]);
          loaded.push_back(g.load(o, {p.row, col}, v, pieceOk(ok, k)));
          if (gated)
            loaded.push_back(g.load(gate, {p.row, col}, v, pieceOk(ok, k)));
        }
        return loaded;
      },
      [&](Value head, Value ok, ArrayRef<Value> loaded,
          ArrayRef<Value>) -> SmallVector<Value> {
        int64_t stride = gated ? 2 : 1;
        Value acc = g.constPiece(0, v);
        for (int64_t k = 0; k < perLane; ++k)
          acc = e.fma(loaded[k * stride], loaded[k * stride], acc);
        Value sum = g.sumOverLanes(g.sumElements(acc), groupLanes);
        Value inv = g.splat(g.inverseRms(sum, hd, eps), v);
        Value base = g.mulC(head, hd);
        for (int64_t k = 0; k < perLane; ++k) {
          Value y = g.mulf(g.mulf(loaded[k * stride], inv), ws[k]);
          if (gated)
            y = g.mulf(y, g.swish(loaded[k * stride + 1]));
          g.store(y, out, {p.row, e.addi(base, cols[k])}, pieceOk(ok, k));
        }
        return {};
      });
  gpu::ReturnOp::create(b, loc);
  return layout;
}

//===----------------------------------------------------------------------===//
// rotary
//===----------------------------------------------------------------------===//

/// `memref.global @<name>_inv_freq`: base^(-2i/D), i < D/2, computed in
/// double and rounded to f32, in the gpu.module that holds the kernel; a
/// memref.get_global of it at `b`'s insertion point.
Value invFreqTable(Emitter &e, StringRef name, gpu::GPUModuleOp module,
                   int64_t half, double base) {
  SmallVector<float> values;
  for (int64_t i = 0; i < half; ++i)
    values.push_back(
        float(std::pow(base, -2.0 * double(i) / double(2 * half))));
  auto type = MemRefType::get({half}, e.b.getF32Type());
  std::string symbol = (name + "_inv_freq").str();
  {
    OpBuilder::InsertionGuard guard(e.b);
    e.b.setInsertionPointToStart(module.getBody());
    auto tensorType = RankedTensorType::get({half}, e.b.getF32Type());
    memref::GlobalOp::create(
        e.b, e.loc, symbol, e.b.getStringAttr("private"), type,
        DenseElementsAttr::get(tensorType, ArrayRef<float>(values)),
        /*constant=*/true, /*alignment=*/e.b.getI64IntegerAttr(16));
  }
  return memref::GetGlobalOp::create(e.b, e.loc, type, symbol);
}

/// rotary: each head of row t rotated by (position + t) * inv_freq.
FailureOr<RowLayout> buildRotary(OpBuilder &b, Location loc, StringRef name,
                                 RotaryOp op, ArrayRef<Type> params,
                                 int64_t maxRows) {
  auto module =
      dyn_cast<gpu::GPUModuleOp>(b.getInsertionBlock()->getParentOp());
  if (!module)
    return op->emitOpError("a rotary kernel is built in a gpu.module (its "
                           "frequency table goes there)");
  int64_t hd = int64_t(op.getHeadDim()), half = hd / 2;
  int64_t heads = widthOf(op.getX()) / hd;
  bool interleaved = op.getLayout() == "interleaved";
  // A piece: v elements of each half (rotate_half) or v interleaved
  // elements (interleaved); `pairs` pairs a piece.
  int64_t v = interleaved ? pieceWidth({hd}) : pieceWidth({half});
  int64_t pairs = interleaved ? v / 2 : v;
  int64_t headPieces = half / pairs;
  int64_t groups =
      std::min(heads, std::max<int64_t>(1, kRotaryRowThreads / headPieces));
  RowLayout layout;
  layout.rowThreads = groups * headPieces;
  layout.rowsPerBlock = rowsPerBlockFor(layout.rowThreads, maxRows);
  Block &body = createKernel(b, loc, name, params, layout, maxRows);
  Emitter e{b, loc};
  GraphEmitter g{e};
  // Parameters: x, [positions,] out, rows[, position].
  bool inMemory = bool(op.getPositions());
  Value x = body.getArgument(0);
  Value out = body.getArgument(inMemory ? 2 : 1);
  Value rows = body.getArgument(inMemory ? 3 : 2);
  Value table =
      invFreqTable(e, name, module, half, op.getBase().convertToDouble());
  RowPlace p = g.placeRow(layout, rows);
  Value j = g.remC(p.t, headPieces);
  Value group = g.divC(p.t, headPieces);

  // The angles of the thread's pairs: float(pos) * inv_freq, pos the
  // row's position (0 for rows past `rows`, never stored).
  Value pos64;
  if (inMemory) {
    Value zero = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
    pos64 = g.loadRowValue(body.getArgument(1), p.row, p.ok, zero);
  } else {
    Value pos = e.addi(body.getArgument(3), p.row);
    pos64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), pos);
  }
  Value posF = arith::UIToFPOp::create(b, loc, b.getF32Type(), pos64);
  Value invFreq = loadVector(e, g.piece(pairs), table, {g.mulC(j, pairs)});
  Value angles = g.mulf(g.splat(posF, pairs), invFreq);
  SmallVector<Value> sines, cosines;
  for (int64_t i = 0; i < pairs; ++i) {
    Value angle = vector::ExtractOp::create(b, loc, angles, i);
    auto sincos =
        math::SincosOp::create(b, loc, b.getF32Type(), b.getF32Type(), angle);
    sines.push_back(sincos.getSin());
    cosines.push_back(sincos.getCos());
  }
  Value sin = vector::FromElementsOp::create(b, loc, g.piece(pairs), sines);
  Value cos = vector::FromElementsOp::create(b, loc, g.piece(pairs), cosines);
  // (a, b) -> (a cos - b sin, b cos + a sin), each one rounding of an fma.
  auto rotate = [&](Value a, Value bb) -> std::pair<Value, Value> {
    Value ra = e.fma(a, cos, g.negf(g.mulf(bb, sin)));
    Value rb = e.fma(bb, cos, g.mulf(a, sin));
    return {ra, rb};
  };
  SmallVector<int64_t> evens, odds, interleave;
  for (int64_t i = 0; i < pairs; ++i) {
    evens.push_back(2 * i);
    odds.push_back(2 * i + 1);
    interleave.append({i, pairs + i});
  }
  g.overItems(
      {group, heads, groups}, p.ok, {},
      [&](Value head, Value ok) -> SmallVector<Value> {
        Value base = g.mulC(head, hd);
        if (interleaved)
          return {g.load(x, {p.row, e.addi(base, g.mulC(j, v))}, v, ok)};
        Value first = e.addi(base, g.mulC(j, pairs));
        return {g.load(x, {p.row, first}, pairs, ok),
                g.load(x, {p.row, g.addC(first, half)}, pairs, ok)};
      },
      [&](Value head, Value ok, ArrayRef<Value> loaded,
          ArrayRef<Value>) -> SmallVector<Value> {
        Value base = g.mulC(head, hd);
        if (interleaved) {
          Value a =
              vector::ShuffleOp::create(b, loc, loaded[0], loaded[0], evens);
          Value bb =
              vector::ShuffleOp::create(b, loc, loaded[0], loaded[0], odds);
          auto [ra, rb] = rotate(a, bb);
          Value y = vector::ShuffleOp::create(b, loc, ra, rb, interleave);
          g.store(y, out, {p.row, e.addi(base, g.mulC(j, v))}, ok);
          return {};
        }
        auto [ra, rb] = rotate(loaded[0], loaded[1]);
        Value first = e.addi(base, g.mulC(j, pairs));
        g.store(ra, out, {p.row, first}, ok);
        g.store(rb, out, {p.row, g.addC(first, half)}, ok);
        return {};
      });
  gpu::ReturnOp::create(b, loc);
  return layout;
}

//===----------------------------------------------------------------------===//
// The token choice: next_token
//===----------------------------------------------------------------------===//

/// next_token: the first index of each row's largest logit, the row's
/// position plus one. Each thread keeps the best (value, index) of its
/// items, visited in increasing index; lanes and then the row's warps (in
/// shared memory) combine pairs by `better`, which prefers the larger
/// value and on equal values the lower index, and never takes a NaN; a row
/// of NaNs chooses token 0.
RowLayout buildNextToken(OpBuilder &b, Location loc, StringRef name,
                         NextTokenOp op, ArrayRef<Type> params,
                         int64_t maxRows) {
  int64_t n = widthOf(op.getLogits());
  int64_t v = pieceWidth({n});
  int64_t pieces = n / v;
  RowLayout layout = piecesLayout(pieces, maxRows);
  int64_t rowWarps = layout.rowThreads > 32 ? layout.rowThreads / 32 : 0;
  // A warp's best value and index (i32), each a 4-byte word.
  layout.sharedBytes = rowWarps * layout.rowsPerBlock * 8;
  Block &body = createKernel(b, loc, name, params, layout, maxRows);
  Emitter e{b, loc};
  GraphEmitter g{e};
  Value logits = body.getArgument(0), positions = body.getArgument(1);
  Value tokens = body.getArgument(2), next = body.getArgument(3);
  Value rows = body.getArgument(4);
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  auto i32c = [&](int64_t c) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(int32_t(c)));
  };
  auto toI32 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(b, loc, i32, index);
  };
  // (value, index) `cand` better than `best`.
  auto better = [&](Value value, Value index, Value bestValue,
                    Value bestIndex) {
    Value greater = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                          value, bestValue);
    Value equal = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                        value, bestValue);
    Value lower = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                        index, bestIndex);
    return arith::OrIOp::create(b, loc, greater, e.andi(equal, lower))
        .getResult();
  };
  auto combine = [&](Value value, Value index, std::pair<Value, Value> best) {
    Value take = better(value, index, best.first, best.second);
    return std::pair<Value, Value>{e.select(take, value, best.first),
                                   e.select(take, index, best.second)};
  };

  RowPlace p = g.placeRow(layout, rows);
  Value lowest = e.f32(-std::numeric_limits<double>::infinity());
  // No index yet: n, above every real one.
  SmallVector<Value> acc = g.overItems(
      {p.t, pieces, layout.rowThreads}, p.ok, {lowest, i32c(n)},
      [&](Value item, Value ok) -> SmallVector<Value> {
        return {g.load(logits, {p.row, g.mulC(item, v)}, v, ok)};
      },
      [&](Value item, Value ok, ArrayRef<Value> x,
          ArrayRef<Value> best) -> SmallVector<Value> {
        std::pair<Value, Value> cur{best[0], best[1]};
        Value first = toI32(g.mulC(item, v));
        for (int64_t i = 0; i < v; ++i) {
          Value value = vector::ExtractOp::create(b, loc, x[0], i);
          // Masked items load zeros: keep them out.
          Value index = e.select(ok, arith::AddIOp::create(b, loc, first,
                                                           i32c(i)),
                                 i32c(n));
          Value masked = e.select(ok, value, lowest);
          cur = combine(masked, index, cur);
        }
        return {cur.first, cur.second};
      });
  std::pair<Value, Value> best{acc[0], acc[1]};
  for (int32_t d = int32_t(std::min<int64_t>(layout.rowThreads, 32) / 2);
       d >= 1; d /= 2) {
    Value value = gpu::ShuffleOp::create(b, loc, best.first, d, 32,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    Value index = gpu::ShuffleOp::create(b, loc, best.second, d, 32,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    best = combine(value, index, best);
  }
  if (rowWarps) {
    // The row's warps' bests, through shared memory, combined in warp
    // order.
    auto shared = [&](Type elt) {
      return MemRefType::get({rowWarps * layout.rowsPerBlock}, elt,
                             MemRefLayoutAttrInterface(),
                             gpu::AddressSpaceAttr::get(
                                 b.getContext(), gpu::AddressSpace::Workgroup));
    };
    SmallVector<Value> views = viewDynamicShared(e, {shared(f32), shared(i32)});
    Value warp = g.divC(p.tid, 32);
    Value lane = g.remC(p.tid, 32);
    e.ifThen(e.lt(lane, e.idx(1)), [&] {
      memref::StoreOp::create(b, loc, best.first, views[0], warp);
      memref::StoreOp::create(b, loc, best.second, views[1], warp);
    });
    gpu::BarrierOp::create(b, loc);
    Value rowWarp0 = g.mulC(g.divC(warp, rowWarps), rowWarps);
    best = {memref::LoadOp::create(b, loc, views[0], rowWarp0),
            memref::LoadOp::create(b, loc, views[1], rowWarp0)};
    for (int64_t w = 1; w < rowWarps; ++w) {
      Value at = g.addC(rowWarp0, w);
      best = combine(memref::LoadOp::create(b, loc, views[0], at),
                     memref::LoadOp::create(b, loc, views[1], at), best);
    }
  }
  // A row of NaNs found nothing: token 0.
  Value found = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                      best.second, i32c(n));
  Value token = e.select(found, best.second, i32c(0));
  e.ifThen(e.andi(p.ok, e.lt(p.t, e.idx(1))), [&] {
    memref::StoreOp::create(b, loc, token, tokens, p.row);
    Value position = memref::LoadOp::create(b, loc, positions, p.row);
    Value one = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
    memref::StoreOp::create(b, loc, arith::AddIOp::create(b, loc, position, one),
                            next, p.row);
  });
  gpu::ReturnOp::create(b, loc);
  return layout;
}

} // namespace

bool mlir::retention::isGraphKernelOp(Operation *op) {
  return isa<EmbeddingOp, RMSNormOp, RotaryOp, RepeatHeadsOp, GatedHeadNormOp,
             SwiGLUOp, AddOp, NextTokenOp, LastRowsOp>(op);
}

FailureOr<GraphKernelLaunch>
mlir::retention::buildGraphKernel(OpBuilder &b, Location loc, StringRef name,
                                  Operation *op, int64_t maxRows) {
  if (!isGraphKernelOp(op))
    return op->emitOpError("has no graph-op GPU kernel");
  if (maxRows < 1)
    return op->emitOpError("a GPU kernel needs at least one row, got ")
           << maxRows;
  FailureOr<SmallVector<Type>> params = kernelParams(op, maxRows);
  if (failed(params))
    return failure();
  FailureOr<RowLayout> layout = failure();
  if (isa<AddOp, SwiGLUOp>(op))
    layout = buildElementwise(b, loc, name, op, *params, maxRows);
  else if (auto emb = dyn_cast<EmbeddingOp>(op))
    layout = buildEmbedding(b, loc, name, emb, *params, maxRows);
  else if (auto rep = dyn_cast<RepeatHeadsOp>(op))
    layout = buildRepeatHeads(b, loc, name, rep, *params, maxRows);
  else if (auto norm = dyn_cast<RMSNormOp>(op))
    layout = buildRMSNorm(b, loc, name, norm, *params, maxRows);
  else if (auto gated = dyn_cast<GatedHeadNormOp>(op))
    layout = buildGatedHeadNorm(b, loc, name, gated, *params, maxRows);
  else if (auto choice = dyn_cast<NextTokenOp>(op))
    layout = buildNextToken(b, loc, name, choice, *params, maxRows);
  else if (auto last = dyn_cast<LastRowsOp>(op))
    layout = buildLastRows(b, loc, name, last, *params, maxRows);
  else
    layout = buildRotary(b, loc, name, cast<RotaryOp>(op), *params, maxRows);
  if (failed(layout))
    return failure();
  GraphKernelLaunch launch;
  launch.rowsPerBlock = layout->rowsPerBlock;
  launch.block = {layout->blockThreads(), 1, 1};
  launch.sharedBytes = layout->sharedBytes;
  return launch;
}
