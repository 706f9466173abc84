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

std::vector<WeightInfo> listWeights(const ModelConfig &c) {
  int64_t d = c.hiddenSize, f = c.intermediateSize;
  std::vector<WeightInfo> w;
  w.push_back({"model.embeddings.weight", {c.vocabSize, d}});
  for (int64_t l = 0; l < c.numLayers; ++l) {
    w.push_back({layerName(l, "attn_norm.weight"), {d}});
    w.push_back({layerName(l, "attn.q_proj.weight"), {qWidth(c), d}});
    w.push_back({layerName(l, "attn.k_proj.weight"), {kWidth(c), d}});
    w.push_back({layerName(l, "attn.v_proj.weight"), {vWidth(c), d}});
    if (c.useOutputGate)
      w.push_back({layerName(l, "attn.g_proj.weight"), {oWidth(c), d}});
    w.push_back({layerName(l, "attn.o_proj.weight"), {d, oWidth(c)}});
    w.push_back({layerName(l, c.useOutputGate ? "attn.g_norm_swish_gate.weight"
                                              : "attn.g_norm.weight"),
                 {c.headVDim}});
    w.push_back({layerName(l, "mlp_norm.weight"), {d}});
    w.push_back({layerName(l, "mlp.gate_proj.weight"), {f, d}});
    w.push_back({layerName(l, "mlp.up_proj.weight"), {f, d}});
    w.push_back({layerName(l, "mlp.down_proj.weight"), {d, f}});
  }
  w.push_back({"model.norm.weight", {d}});
  if (!c.tieWordEmbeddings)
    w.push_back({"lm_head.weight", {c.vocabSize, d}});
  return w;
}

llvm::ArrayRef<EntryPoint> entryPoints() {
  static const EntryPoint entries[] = {{"prefill", "chunkwise"},
                                       {"decode", "recurrent"},
                                       {"forward", "parallel"}};
  return entries;
}

namespace {
/// Builds one entry function's body.
class GraphBuilder {
public:
  GraphBuilder(OpBuilder &b, Location loc, const ModelConfig &c)
      : b(b), loc(loc), c(c), f32(b.getF32Type()) {}

  void build(func::FuncOp func, const std::vector<WeightInfo> &weights);

private:
  /// tensor<?xNxf32>
  RankedTensorType rows(int64_t n) {
    return RankedTensorType::get({ShapedType::kDynamic, n}, f32);
  }
  Value weight(llvm::StringRef name) {
    auto it = weightByName.find(name);
    assert(it != weightByName.end() && "weight listed by listWeights");
    return it->second;
  }
  Value linear(Value x, llvm::StringRef w) {
    Value wt = weight(w);
    int64_t out = cast<RankedTensorType>(wt.getType()).getDimSize(0);
    return LinearOp::create(b, loc, rows(out), x, wt, Value());
  }
  Value rmsNorm(Value x, llvm::StringRef w) {
    return RMSNormOp::create(b, loc, x.getType(), x, weight(w),
                             b.getF64FloatAttr(c.normEps));
  }
  Value rotary(Value x) {
    return RotaryOp::create(b, loc, x.getType(), x, position,
                            b.getI64IntegerAttr(c.headKDim),
                            b.getF64FloatAttr(c.rotaryBase),
                            b.getStringAttr(stringify(c.rotaryLayout)));
  }
  Value repeatHeads(Value x, int64_t headDim) {
    int64_t groups = c.numHeads / c.numKVHeads;
    if (groups == 1)
      return x;
    return RepeatHeadsOp::create(b, loc, rows(c.numHeads * headDim), x,
                                 b.getI64IntegerAttr(headDim),
                                 b.getI64IntegerAttr(groups));
  }
  /// [T, H*D] -> [1, T, H, D]
  Value splitHeads(Value x, int64_t headDim) {
    auto type = RankedTensorType::get(
        {1, ShapedType::kDynamic, c.numHeads, headDim}, f32);
    SmallVector<OpFoldResult> shape = {b.getIndexAttr(1), numTokens,
                                       b.getIndexAttr(c.numHeads),
                                       b.getIndexAttr(headDim)};
    return tensor::ExpandShapeOp::create(
        b, loc, type, x, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}},
        shape);
  }
  Value layer(int64_t l, Value h);

  OpBuilder &b;
  Location loc;
  const ModelConfig &c;
  Type f32;
  llvm::StringMap<Value> weightByName;
  Value numTokens, position, state;
  func::FuncOp func;
};

Value GraphBuilder::layer(int64_t l, Value h) {
  auto name = [&](llvm::StringRef rest) { return layerName(l, rest); };
  Value x = rmsNorm(h, name("attn_norm.weight"));
  Value q = rotary(linear(x, name("attn.q_proj.weight")));
  Value k = rotary(linear(x, name("attn.k_proj.weight")));
  Value v = linear(x, name("attn.v_proj.weight"));
  k = repeatHeads(k, c.headKDim);
  v = repeatHeads(v, c.headVDim);

  // This layer's slice of the state, in and out.
  auto stateType = cast<RankedTensorType>(state.getType());
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(l), b.getIndexAttr(0),
                                       b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1),
                                     b.getIndexAttr(c.numHeads),
                                     b.getIndexAttr(c.headKDim),
                                     b.getIndexAttr(c.headVDim)};
  SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
  Value s0 = tensor::ExtractSliceOp::create(b, loc, state, offsets, sizes, ones);
  auto oType = RankedTensorType::get(
      {1, ShapedType::kDynamic, c.numHeads, c.headVDim}, f32);
  DecayAttr decay =
      c.decay == DecaySchedule::RetNet
          ? DecayAttr::get(b.getContext(), retention::DecaySchedule::RetNet,
                           ArrayRef<double>())
          : DecayAttr::get(b.getContext(), retention::DecaySchedule::Explicit,
                           c.gammas());
  Value qHeads = splitHeads(q, c.headKDim);
  Value kHeads = splitHeads(k, c.headKDim);
  Value vHeads = splitHeads(v, c.headVDim);
  auto retention = RetentionOp::create(b, loc, oType, s0.getType(), qHeads,
                                       kHeads, vHeads, s0, decay, FloatAttr());
  state = tensor::InsertSliceOp::create(b, loc, retention.getFinalState(),
                                        state, offsets, sizes, ones);
  (void)stateType;
  Value o = tensor::CollapseShapeOp::create(
      b, loc, retention.getOutput(),
      SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});

  Value gate = c.useOutputGate ? linear(x, name("attn.g_proj.weight")) : Value();
  Value normed = GatedHeadNormOp::create(
      b, loc, o.getType(), o,
      weight(name(c.useOutputGate ? "attn.g_norm_swish_gate.weight"
                                  : "attn.g_norm.weight")),
      gate, b.getI64IntegerAttr(c.headVDim), b.getF64FloatAttr(c.normEps));
  h = AddOp::create(b, loc, h.getType(), h,
                    linear(normed, name("attn.o_proj.weight")));

  x = rmsNorm(h, name("mlp_norm.weight"));
  Value g = linear(x, name("mlp.gate_proj.weight"));
  Value u = linear(x, name("mlp.up_proj.weight"));
  Value f = SwiGLUOp::create(b, loc, g.getType(), g, u);
  return AddOp::create(b, loc, h.getType(), h,
                       linear(f, name("mlp.down_proj.weight")));
}

void GraphBuilder::build(func::FuncOp fn,
                         const std::vector<WeightInfo> &weights) {
  func = fn;
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  numTokens = entry->getArgument(0);
  position = entry->getArgument(1);
  Value allLogits = entry->getArgument(2);
  Value tokensBuf = entry->getArgument(3);
  Value stateBuf = entry->getArgument(4);
  Value logitsBuf = entry->getArgument(5);
  for (auto [i, w] : llvm::enumerate(weights)) {
    Value buf = entry->getArgument(6 + i);
    auto type = RankedTensorType::get(w.shape, f32);
    weightByName[w.name] = bufferization::ToTensorOp::create(
        b, loc, type, buf, /*restrict=*/true, /*writable=*/false);
  }

  // Tokens: memref<1xi32> viewed as memref<?xi32>.
  auto tokensView = memref::ReinterpretCastOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI32Type()),
      tokensBuf, b.getIndexAttr(0), ArrayRef<OpFoldResult>{numTokens},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  Value tokens = bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type()),
      tokensView, /*restrict=*/true, /*writable=*/false);
  auto stateMem = cast<MemRefType>(stateBuf.getType());
  state = bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(stateMem.getShape(), f32), stateBuf,
      /*restrict=*/true, /*writable=*/true);

  Value h = EmbeddingOp::create(b, loc, rows(c.hiddenSize), tokens,
                                weight("model.embeddings.weight"));
  for (int64_t l = 0; l < c.numLayers; ++l)
    h = layer(l, h);

  // Logits of every row, or of the last one.
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value wantAll = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                        allLogits, zero);
  Value count = arith::SelectOp::create(b, loc, wantAll, numTokens, one);
  Value first = arith::SubIOp::create(b, loc, numTokens, count);
  Value last = tensor::ExtractSliceOp::create(
      b, loc, rows(c.hiddenSize), h,
      ArrayRef<OpFoldResult>{first, b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{count, b.getIndexAttr(c.hiddenSize)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  Value logits =
      linear(rmsNorm(last, "model.norm.weight"),
             c.tieWordEmbeddings ? "model.embeddings.weight" : "lm_head.weight");
  auto logitsView = memref::ReinterpretCastOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic, c.vocabSize}, f32),
      logitsBuf, b.getIndexAttr(0), ArrayRef<OpFoldResult>{count, b.getIndexAttr(c.vocabSize)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(c.vocabSize), b.getIndexAttr(1)});
  auto storeLogits =
      bufferization::MaterializeInDestinationOp::create(b, loc, logits,
                                                        logitsView);
  storeLogits.setRestrict(true);
  storeLogits.setWritable(true);
  auto storeState =
      bufferization::MaterializeInDestinationOp::create(b, loc, state,
                                                        stateBuf);
  storeState.setRestrict(true);
  storeState.setWritable(true);
  func::ReturnOp::create(b, loc);
}
} // namespace

FailureOr<OwningOpRef<ModuleOp>>
buildModelModule(MLIRContext &ctx, const ModelConfig &config,
                 llvm::StringRef sourceName) {
  ctx.loadDialect<RetentionDialect, func::FuncDialect, arith::ArithDialect,
                  memref::MemRefDialect, tensor::TensorDialect,
                  bufferization::BufferizationDialect>();
  OpBuilder b(&ctx);
  Location loc = FileLineColLoc::get(&ctx, sourceName, 1, 1);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  std::vector<WeightInfo> weights = listWeights(config);

  Type f32 = b.getF32Type(), index = b.getIndexType();
  SmallVector<Type> args = {
      index, index, index, MemRefType::get({1}, b.getI32Type()),
      MemRefType::get({config.numLayers, config.numHeads, config.headKDim,
                       config.headVDim},
                      f32),
      MemRefType::get({1, config.vocabSize}, f32)};
  for (const WeightInfo &w : weights)
    args.push_back(MemRefType::get(w.shape, f32));

  b.setInsertionPointToEnd(module->getBody());
  for (const EntryPoint &entry : entryPoints()) {
    auto func = func::FuncOp::create(b, loc, entry.name,
                                     b.getFunctionType(args, {}));
    func->setAttr(RetentionDialect::FormAttrHelper::getNameStr(),
                  b.getStringAttr(entry.form));
    OpBuilder::InsertionGuard guard(b);
    GraphBuilder(b, loc, config).build(func, weights);
  }
  if (failed(verify(*module)))
    return failure();
  return module;
}

} // namespace retc::frontend
