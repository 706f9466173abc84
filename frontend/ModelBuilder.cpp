//===- ModelBuilder.cpp - graph-level IR of a whole RetNet model ----------===//
//
// See ModelBuilder.h. The graph follows docs/models.md ("The model,
// exactly") op for op; no fusion happens here (passes/ does it), so --emit=retention shows the model
// as written.
//
//===----------------------------------------------------------------------===//
#include "frontend/ModelBuilder.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::retention;

namespace retc::frontend {

namespace {
std::string layerName(int64_t l, llvm::StringRef rest) {
  return "model.layers." + std::to_string(l) + "." + rest.str();
}

int64_t qWidth(const ModelConfig &c) { return c.numHeads * c.headKDim; }
int64_t kWidth(const ModelConfig &c) { return c.numKVHeads * c.headKDim; }
int64_t vWidth(const ModelConfig &c) { return c.numKVHeads * c.headVDim; }
int64_t oWidth(const ModelConfig &c) { return c.numHeads * c.headVDim; }
} // namespace

std::vector<WeightInfo> layerWeights(const ModelConfig &c) {
  int64_t d = c.hiddenSize, f = c.intermediateSize;
  WeightType m = c.weightType, v = WeightType::F32;
  std::vector<WeightInfo> w;
  w.push_back({"attn_norm.weight", {d}, v});
  w.push_back({"attn.q_proj.weight", {qWidth(c), d}, m});
  w.push_back({"attn.k_proj.weight", {kWidth(c), d}, m});
  w.push_back({"attn.v_proj.weight", {vWidth(c), d}, m});
  if (c.useOutputGate)
    w.push_back({"attn.g_proj.weight", {oWidth(c), d}, m});
  w.push_back({"attn.o_proj.weight", {d, oWidth(c)}, m});
  w.push_back({c.useOutputGate ? "attn.g_norm_swish_gate.weight"
                               : "attn.g_norm.weight",
               {c.headVDim},
               v});
  w.push_back({"mlp_norm.weight", {d}, v});
  w.push_back({"mlp.gate_proj.weight", {f, d}, m});
  w.push_back({"mlp.up_proj.weight", {f, d}, m});
  w.push_back({"mlp.down_proj.weight", {d, f}, m});
  return w;
}

std::vector<WeightInfo> listWeights(const ModelConfig &c) {
  int64_t d = c.hiddenSize;
  std::vector<WeightInfo> perLayer = layerWeights(c);
  std::vector<WeightInfo> w;
  w.push_back({"model.embeddings.weight", {c.vocabSize, d}, c.weightType});
  for (int64_t l = 0; l < c.numLayers; ++l)
    for (const WeightInfo &lw : perLayer)
      w.push_back({layerName(l, lw.name), lw.shape, lw.type});
  w.push_back({"model.norm.weight", {d}, WeightType::F32});
  if (!c.tieWordEmbeddings)
    w.push_back({"lm_head.weight", {c.vocabSize, d}, c.weightType});
  return w;
}

llvm::ArrayRef<EntryPoint> entryPoints() {
  static const EntryPoint entries[] = {{"prefill", "chunkwise"},
                                       {"decode", "recurrent"},
                                       {"forward", "parallel"}};
  return entries;
}

EntryPoint decodeBatchEntry() { return {"decode_batch", "recurrent"}; }

EntryPoint prefillBatchEntry() { return {"prefill_batch", "chunkwise"}; }

namespace {
/// The element type of `t`.
Type elementType(Builder &b, WeightType t) {
  switch (t) {
  case WeightType::F32:
    return b.getF32Type();
  case WeightType::BF16:
    return b.getBF16Type();
  case WeightType::F16:
    return b.getF16Type();
  }
  llvm_unreachable("unknown weight type");
}

/// The buffer type of weight `w`.
MemRefType weightBufferType(Builder &b, const WeightInfo &w) {
  return MemRefType::get(w.shape, elementType(b, w.type));
}

/// The first of layer 0's weights in the ABI order (listWeights).
constexpr int64_t kFirstLayerWeight = 1;

/// Builds an entry function and the layer function it calls: the graph
/// ops of docs/models.md, with weights, tokens, state and logits read from
/// and written to the function's buffers.
class GraphBuilder {
public:
  /// `rowPositions`: the rows' positions come from the entry's positions
  /// buffer (its last argument, and the layer function's), not from
  /// `position`; `chooseNext`: the entry ends with each row's greedy next
  /// token and position written into its tokens and positions buffers (a
  /// decode step replayable on a device).
  /// `batchRows`: the entry's rows are sequences, one token each, row b
  /// continuing the state in slot b of the pool (@decode_batch).
  /// `packedRows`: the entry's rows are several fresh sequences packed one
  /// after another, sequence n's final state into slot n of the pool
  /// (@prefill_batch); the entry and layer functions take the sequence
  /// count and offsets last.
  GraphBuilder(OpBuilder &b, Location loc, const ModelConfig &c,
               bool rowPositions, bool chooseNext, bool batchRows,
               bool packedRows)
      : b(b), loc(loc), c(c), f32(b.getF32Type()),
        act(elementType(b, c.weightType)), rowPositions(rowPositions),
        chooseNext(chooseNext), batchRows(batchRows), packedRows(packedRows) {
  }

  /// The body of `layerFn`: one layer (`layer` argument l) of the model, h
  /// and state l updated in place.
  void buildLayer(func::FuncOp layerFn);
  /// The body of entry `func`: the embedding, `layerFn` called for each
  /// layer in a loop, the final norm and the logits.
  void buildEntry(func::FuncOp func, func::FuncOp layerFn,
                  const std::vector<WeightInfo> &weights);

private:
  /// tensor<?xNxT>, T f32 by default (the residual stream).
  RankedTensorType rows(int64_t n, Type elt = Type()) {
    return RankedTensorType::get({ShapedType::kDynamic, n}, elt ? elt : f32);
  }
  Value weight(llvm::StringRef name) {
    auto it = weightByName.find(name);
    assert(it != weightByName.end() && "weight listed by listWeights");
    return it->second;
  }
  /// x w^T, rows of `elt` (default: the activation type).
  Value linear(Value x, llvm::StringRef w, Type elt = Type()) {
    Value wt = weight(w);
    int64_t out = cast<RankedTensorType>(wt.getType()).getDimSize(0);
    return LinearOp::create(b, loc, rows(out, elt ? elt : act), x, wt,
                            Value());
  }
  /// The norm of rows of the residual stream, as a projection's input.
  Value rmsNorm(Value x, llvm::StringRef w) {
    int64_t width = cast<RankedTensorType>(x.getType()).getDimSize(1);
    return RMSNormOp::create(b, loc, rows(width, act), x, weight(w),
                             b.getF64FloatAttr(c.normEps));
  }
  Value rotary(Value x) {
    return RotaryOp::create(b, loc, x.getType(), x,
                            positions ? positions : position, c.headKDim,
                            c.rotaryBase, stringify(c.rotaryLayout));
  }
  Value repeatHeads(Value x, int64_t headDim) {
    int64_t groups = c.numHeads / c.numKVHeads;
    if (groups == 1)
      return x;
    return RepeatHeadsOp::create(b, loc, rows(c.numHeads * headDim, act), x,
                                 b.getI64IntegerAttr(headDim),
                                 b.getI64IntegerAttr(groups));
  }
  /// [1, T, H, D]: one sequence of T tokens; with batchRows [B, 1, H, D]:
  /// B sequences of one token.
  RankedTensorType headsType(int64_t headDim) {
    int64_t dyn = ShapedType::kDynamic;
    return RankedTensorType::get({batchRows ? dyn : 1, batchRows ? 1 : dyn,
                                  c.numHeads, headDim},
                                 act);
  }
  /// [T, H*D] -> headsType(D)
  Value splitHeads(Value x, int64_t headDim) {
    auto type = headsType(headDim);
    OpFoldResult one = b.getIndexAttr(1);
    SmallVector<OpFoldResult> shape = {batchRows ? OpFoldResult(numTokens) : one,
                                       batchRows ? one : OpFoldResult(numTokens),
                                       b.getIndexAttr(c.numHeads),
                                       b.getIndexAttr(headDim)};
    return tensor::ExpandShapeOp::create(
        b, loc, type, x, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}},
        shape);
  }
  /// The tensor of buffer `buf` (restrict: only read through it).
  Value tensorOf(Value buf, bool writable) {
    auto type = cast<MemRefType>(buf.getType());
    auto tensorType = RankedTensorType::get(type.getShape(),
                                            type.getElementType());
    return bufferization::ToTensorOp::create(b, loc, tensorType, buf,
                                             /*restrict=*/true, writable);
  }
  /// Writes `value` into buffer `buf`; `restrict` where no other tensor
  /// of the function is a view of `buf` (the decode step's token and
  /// position are read through one view and written through another).
  void store(Value value, Value buf, bool restrict = true) {
    auto op =
        bufferization::MaterializeInDestinationOp::create(b, loc, value, buf);
    op.setRestrict(restrict);
    op.setWritable(true);
  }
  /// `buf` (memref<1xNxT>) viewed as memref<?xNxT> of numTokens rows.
  Value rowsView(Value buf, int64_t width, Value count) {
    Type elt = cast<MemRefType>(buf.getType()).getElementType();
    return memref::ReinterpretCastOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic, width}, elt), buf,
        b.getIndexAttr(0), ArrayRef<OpFoldResult>{count, b.getIndexAttr(width)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(width), b.getIndexAttr(1)});
  }
  /// `buf` (memref<1xT>) viewed as memref<?xT> of `count` elements.
  Value vectorView(Value buf, Value count) {
    Type elt = cast<MemRefType>(buf.getType()).getElementType();
    return memref::ReinterpretCastOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic}, elt), buf,
        b.getIndexAttr(0), ArrayRef<OpFoldResult>{count},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  }
  /// The N + 1 offsets in `buf` (memref<1xi64>), numSequences read.
  Value offsetsOf(Value buf) {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value count = arith::AddIOp::create(b, loc, numSequences, one);
    return tensorOf(vectorView(buf, count), false);
  }
  /// Weight `index` of the call's table, as a buffer.
  Value tableWeight(Value table, Value index, const WeightInfo &w) {
    return ModelWeightOp::create(b, loc, weightBufferType(b, w), table, index);
  }
  Value layer(Value l, Value h);

  OpBuilder &b;
  Location loc;
  const ModelConfig &c;
  Type f32;
  /// The activations between kernels (projection and retention inputs):
  /// the weights' type; the residual stream, state and logits are f32.
  Type act;
  bool rowPositions, chooseNext, batchRows, packedRows;
  llvm::StringMap<Value> weightByName;
  Value numTokens, position, state;
  /// With rowPositions: the rows' positions, tensor<?xi64>.
  Value positions;
  /// With packedRows: the number of sequences (index) and their N + 1
  /// offsets, tensor<?xi64>.
  Value numSequences, offsets;
};

Value GraphBuilder::layer(Value l, Value h) {
  Value x = rmsNorm(h, "attn_norm.weight");
  Value q = rotary(linear(x, "attn.q_proj.weight"));
  Value k = rotary(linear(x, "attn.k_proj.weight"));
  Value v = linear(x, "attn.v_proj.weight");
  k = repeatHeads(k, c.headKDim);
  v = repeatHeads(v, c.headVDim);

  // This layer's slice of the state, in and out: [1, H, K, V] of
  // [L, H, K, V], or with batchRows (packedRows) the first B (N) slots
  // [B, H, K, V] of the pool [L, S, H, K, V].
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> sliceAt = {l, zero, zero, zero};
  SmallVector<OpFoldResult> sizes = {one, b.getIndexAttr(c.numHeads),
                                     b.getIndexAttr(c.headKDim),
                                     b.getIndexAttr(c.headVDim)};
  auto sliceType = RankedTensorType::get(
      {1, c.numHeads, c.headKDim, c.headVDim}, f32);
  if (batchRows || packedRows) {
    sliceAt.insert(sliceAt.begin() + 1, zero);
    sizes.insert(sizes.begin() + 1, packedRows ? numSequences : numTokens);
    sliceType = RankedTensorType::get(
        {ShapedType::kDynamic, c.numHeads, c.headKDim, c.headVDim}, f32);
  }
  SmallVector<OpFoldResult> ones(sliceAt.size(), one);
  // Packed prompts are fresh sequences: no initial state is read.
  Value s0 = packedRows ? Value()
                        : tensor::ExtractSliceOp::create(
                              b, loc, sliceType, state, sliceAt, sizes, ones)
                              .getResult();
  auto oType = headsType(c.headVDim);
  DecayAttr decay =
      c.decay == DecaySchedule::RetNet
          ? DecayAttr::get(b.getContext(), retention::DecaySchedule::RetNet,
                           ArrayRef<double>())
          : DecayAttr::get(b.getContext(), retention::DecaySchedule::Explicit,
                           c.gammas());
  Value qHeads = splitHeads(q, c.headKDim);
  Value kHeads = splitHeads(k, c.headKDim);
  Value vHeads = splitHeads(v, c.headVDim);
  auto retention = RetentionOp::create(b, loc, oType, sliceType, qHeads,
                                       kHeads, vHeads, s0, offsets, decay,
                                       FloatAttr());
  state = tensor::InsertSliceOp::create(b, loc, retention.getFinalState(),
                                        state, sliceAt, sizes, ones);
  Value o = tensor::CollapseShapeOp::create(
      b, loc, retention.getOutput(),
      SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});

  Value gate = c.useOutputGate ? linear(x, "attn.g_proj.weight") : Value();
  Value normed = GatedHeadNormOp::create(
      b, loc, o.getType(), o,
      weight(c.useOutputGate ? "attn.g_norm_swish_gate.weight"
                             : "attn.g_norm.weight"),
      gate, b.getI64IntegerAttr(c.headVDim), b.getF64FloatAttr(c.normEps));
  h = AddOp::create(b, loc, h.getType(), h,
                    linear(normed, "attn.o_proj.weight", f32));

  x = rmsNorm(h, "mlp_norm.weight");
  Value g = linear(x, "mlp.gate_proj.weight");
  Value u = linear(x, "mlp.up_proj.weight");
  Value f = SwiGLUOp::create(b, loc, g.getType(), g, u);
  return AddOp::create(b, loc, h.getType(), h,
                       linear(f, "mlp.down_proj.weight", f32));
}

void GraphBuilder::buildLayer(func::FuncOp layerFn) {
  Block *entry = layerFn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  numTokens = entry->getArgument(0);
  position = entry->getArgument(1);
  Value l = entry->getArgument(2);
  Value hBuf = entry->getArgument(3);
  Value stateBuf = entry->getArgument(4);
  std::vector<WeightInfo> perLayer = layerWeights(c);
  for (auto [i, w] : llvm::enumerate(perLayer))
    weightByName[w.name] = tensorOf(entry->getArgument(5 + i), false);
  unsigned next = 5 + perLayer.size();
  if (rowPositions)
    positions =
        tensorOf(vectorView(entry->getArgument(next++), numTokens), false);
  if (packedRows) {
    numSequences = entry->getArgument(next++);
    offsets = offsetsOf(entry->getArgument(next++));
  }
  Value hView = rowsView(hBuf, c.hiddenSize, numTokens);
  Value h = tensorOf(hView, true);
  state = tensorOf(stateBuf, true);
  h = layer(l, h);
  store(h, hView);
  store(state, stateBuf);
  func::ReturnOp::create(b, loc);
}

void GraphBuilder::buildEntry(func::FuncOp func, func::FuncOp layerFn,
                              const std::vector<WeightInfo> &weights) {
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  numTokens = entry->getArgument(0);
  position = entry->getArgument(1);
  Value allLogits = entry->getArgument(2);
  Value tokensBuf = entry->getArgument(3);
  Value stateBuf = entry->getArgument(4);
  Value logitsBuf = entry->getArgument(5);
  Value table = entry->getArgument(6);
  Value positionsBuf =
      func.getNumArguments() > 7 ? entry->getArgument(7) : Value();
  Value offsetsBuf;
  if (packedRows) {
    numSequences = entry->getArgument(8);
    offsetsBuf = entry->getArgument(9);
    offsets = offsetsOf(offsetsBuf);
  }
  // The weights outside the layers, from their places in the table.
  for (auto [i, w] : llvm::enumerate(weights)) {
    if (i >= size_t(kFirstLayerWeight) &&
        i < size_t(kFirstLayerWeight + c.numLayers *
                                           int64_t(layerWeights(c).size())))
      continue;
    Value index = arith::ConstantIndexOp::create(b, loc, i);
    Value buf = tableWeight(table, index, w);
    weightByName[w.name] = tensorOf(buf, false);
  }

  Value tokens = tensorOf(vectorView(tokensBuf, numTokens), false);
  Value h = EmbeddingOp::create(b, loc, rows(c.hiddenSize), tokens,
                                weight("model.embeddings.weight"));

  // h lives in one buffer the layers update in place; the layer function
  // takes it as memref<1xHIDDENxf32> (numTokens rows behind it), each
  // layer's weights from the table at kFirstLayerWeight + l * perLayer.
  auto hType = MemRefType::get({ShapedType::kDynamic, c.hiddenSize}, f32);
  Value hBuf = memref::AllocOp::create(b, loc, hType, ValueRange{numTokens},
                                       b.getI64IntegerAttr(64));
  store(h, hBuf);
  Value hArg = memref::ReinterpretCastOp::create(
      b, loc, MemRefType::get({1, c.hiddenSize}, f32), hBuf, b.getIndexAttr(0),
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(c.hiddenSize)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(c.hiddenSize), b.getIndexAttr(1)});
  std::vector<WeightInfo> perLayer = layerWeights(c);
  Value first = arith::ConstantIndexOp::create(b, loc, 0);
  Value layers = arith::ConstantIndexOp::create(b, loc, c.numLayers);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  scf::ForOp::create(
      b, loc, first, layers, step, ValueRange{},
      [&](OpBuilder &nb, Location, Value l, ValueRange) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value stride = arith::ConstantIndexOp::create(b, loc, perLayer.size());
        Value offset = arith::MulIOp::create(b, loc, l, stride);
        Value firstWeight =
            arith::ConstantIndexOp::create(b, loc, kFirstLayerWeight);
        Value base = arith::AddIOp::create(b, loc, offset, firstWeight);
        SmallVector<Value> args = {numTokens, position, l, hArg, stateBuf};
        for (auto [j, w] : llvm::enumerate(perLayer)) {
          Value jth = arith::ConstantIndexOp::create(b, loc, j);
          Value index = arith::AddIOp::create(b, loc, base, jth);
          args.push_back(tableWeight(table, index, w));
        }
        if (rowPositions)
          args.push_back(positionsBuf);
        if (packedRows)
          args.append({numSequences, offsetsBuf});
        func::CallOp::create(b, loc, layerFn, args);
        scf::YieldOp::create(b, loc);
      });
  h = tensorOf(hBuf, false);

  // Logits of every row, or of the last one.
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value wantAll = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                        allLogits, zero);
  // A batched step's rows are sequences: every row has its logits.
  // Packed prompts: the last row of each.
  Value count = batchRows    ? numTokens
                : packedRows ? numSequences
                             : arith::SelectOp::create(b, loc, wantAll,
                                                       numTokens, one)
                                   .getResult();
  Value last;
  if (packedRows) {
    last = LastRowsOp::create(b, loc, rows(c.hiddenSize), h, offsets);
  } else {
    Value firstRow = arith::SubIOp::create(b, loc, numTokens, count);
    last = tensor::ExtractSliceOp::create(
        b, loc, rows(c.hiddenSize), h,
        ArrayRef<OpFoldResult>{firstRow, b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{count, b.getIndexAttr(c.hiddenSize)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  }
  Value logits = linear(rmsNorm(last, "model.norm.weight"),
                        c.tieWordEmbeddings ? "model.embeddings.weight"
                                            : "lm_head.weight",
                        f32);
  Value logitsView = rowsView(logitsBuf, c.vocabSize, count);
  store(logits, logitsView);
  if (chooseNext) {
    // The next step's token and position, where that step reads them.
    Value rowPositions = tensorOf(vectorView(positionsBuf, count), false);
    auto next = NextTokenOp::create(
        b, loc, RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type()),
        rowPositions.getType(), logits, rowPositions);
    store(next.getTokens(), vectorView(tokensBuf, count), /*restrict=*/false);
    store(next.getNextPositions(), vectorView(positionsBuf, count),
          /*restrict=*/false);
  }
  memref::DeallocOp::create(b, loc, hBuf);
  func::ReturnOp::create(b, loc);
}
} // namespace

FailureOr<OwningOpRef<ModuleOp>>
buildModelModule(MLIRContext &ctx, const ModelConfig &config,
                 llvm::StringRef sourceName,
                 const ModelModuleOptions &options) {
  ctx.loadDialect<RetentionDialect, func::FuncDialect, arith::ArithDialect,
                  memref::MemRefDialect, scf::SCFDialect, tensor::TensorDialect,
                  bufferization::BufferizationDialect>();
  OpBuilder b(&ctx);
  Location loc = FileLineColLoc::get(&ctx, sourceName, 1, 1);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  std::vector<WeightInfo> weights = listWeights(config);

  Type f32 = b.getF32Type(), index = b.getIndexType();
  auto positionsType = MemRefType::get({1}, b.getI64Type());
  // The entries' and layer functions' arguments for a state of `stateType`.
  // Packed prompts: the sequence count and the offsets, last.
  auto appendPacked = [&](SmallVector<Type> &args) {
    args.append({index, positionsType});
  };
  auto entryArgs = [&](MemRefType stateType, bool takesPositions,
                       bool packed) {
    SmallVector<Type> args = {
        index, index, index, MemRefType::get({1}, b.getI32Type()), stateType,
        MemRefType::get({1, config.vocabSize}, f32),
        MemRefType::get({int64_t(weights.size())}, b.getI64Type())};
    if (takesPositions)
      args.push_back(positionsType);
    if (packed)
      appendPacked(args);
    return args;
  };
  auto layerArgs = [&](MemRefType stateType, bool rowPositions, bool packed) {
    SmallVector<Type> args = {index, index, index,
                              MemRefType::get({1, config.hiddenSize}, f32),
                              stateType};
    for (const WeightInfo &w : layerWeights(config))
      args.push_back(weightBufferType(b, w));
    if (rowPositions)
      args.push_back(positionsType);
    if (packed)
      appendPacked(args);
    return args;
  };
  SmallVector<int64_t> stateShape = {config.numLayers, config.numHeads,
                                     config.headKDim, config.headVDim};
  SmallVector<int64_t> poolShape(stateShape);
  poolShape.insert(poolShape.begin() + 1, options.maxBatch);

  SmallVector<EntryPoint> entries(entryPoints());
  if (options.maxBatch > 0)
    entries.push_back(decodeBatchEntry());
  if (options.maxBatch > 0 && options.packedPrefill)
    entries.push_back(prefillBatchEntry());
  b.setInsertionPointToEnd(module->getBody());
  for (const EntryPoint &entry : entries) {
    StringAttr form = b.getStringAttr(entry.form);
    bool batchRows = entry.name == decodeBatchEntry().name;
    bool packedRows = entry.name == prefillBatchEntry().name;
    // A GPU package's entries all take the positions buffer (one host
    // ABI); decode and decode_batch read it and choose the next token on
    // the device. A CPU package's decode_batch reads its rows' positions
    // there; the runtime chooses tokens from the logits. prefill_batch
    // reads each token's position there.
    bool takesPositions = options.deviceDecode || batchRows || packedRows;
    bool step = entry.name == "decode" || batchRows;
    bool rowPositions = takesPositions && (step || packedRows);
    bool chooseNext = options.deviceDecode && step;
    auto stateType = MemRefType::get(
        batchRows || packedRows ? poolShape : stateShape, f32);
    auto layerFn = func::FuncOp::create(
        b, loc, (entry.name + "_layer").str(),
        b.getFunctionType(layerArgs(stateType, rowPositions, packedRows), {}));
    layerFn.setPrivate();
    layerFn->setAttr(RetentionDialect::FormAttrHelper::getNameStr(), form);
    auto func = func::FuncOp::create(
        b, loc, entry.name,
        b.getFunctionType(entryArgs(stateType, takesPositions, packedRows),
                          {}));
    func->setAttr(RetentionDialect::FormAttrHelper::getNameStr(), form);
    OpBuilder::InsertionGuard guard(b);
    GraphBuilder(b, loc, config, rowPositions, chooseNext, batchRows,
                 packedRows)
        .buildLayer(layerFn);
    GraphBuilder(b, loc, config, rowPositions, chooseNext, batchRows,
                 packedRows)
        .buildEntry(func, layerFn, weights);
  }
  if (failed(verify(*module)))
    return failure();
  return module;
}

} // namespace retc::frontend
