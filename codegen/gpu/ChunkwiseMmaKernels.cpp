//===- ChunkwiseMmaKernels.cpp - the tensor-core chunkwise kernels --------===//
//
// See ChunkwiseMmaKernels.h. One block per (value-column slice[, segment],
// head, batch); tiles in static workgroup attributions where the schedule
// gives no dynamic shared bytes, else views of dynamic shared memory.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/ChunkwiseMmaKernels.h"
#include "codegen/gpu/ChunkwiseTensorCores.h"
#include "codegen/gpu/ChunkwiseWarpgroupMma.h"
#include "codegen/gpu/KernelLayouts.h"
#include "dialect/RetentionDialect.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace mlir::retention;

namespace {

/// The kernels of one tensor-core chunkwise op.
struct ChunkwiseMmaKernels {
  OpBuilder &b;
  Location loc;
  ChunkwiseOp op;
  GpuScheduleAttr schedule;
  RetentionShape shape;
  ChunkwiseMmaPlan plan;
  KernelSignature signature; ///< with the workspace last, if segmented
  int64_t slices;            ///< value-column slices: grid x per segment

  bool segmented() const { return plan.segments > 1; }
  bool isStates(ChunkwiseMmaPart part) const {
    return part == ChunkwiseMmaPart::SegmentStates;
  }

  MemRefType sharedTile(ArrayRef<int64_t> dims, Type elt) {
    Attribute shared = gpu::AddressSpaceAttr::get(
        b.getContext(), gpu::AddressSpace::Workgroup);
    return MemRefType::get(dims, elt, MemRefLayoutAttrInterface(), shared);
  }

  /// The shared tiles of kernel `part`, each with its staging buffers: Qs,
  /// Ks, Vs, As (mma.sync), Ks, Vs (the states kernel), or Qs, Ks, Vs, Ss
  /// and the decay table, flat (wgmma, ChunkwiseWarpgroupMma.h).
  SmallVector<MemRefType> tilesOf(ChunkwiseMmaPart part) {
    Type elt = op.getQ().getType().getElementType();
    int64_t stagedRows =
        (isStates(part) ? plan.statesStages : plan.stages) * plan.C;
    if (plan.warpgroupMma && !isStates(part))
      return {sharedTile({stagedRows * warpgroupTileWidth(shape.K)}, elt),
              sharedTile({stagedRows * warpgroupTileWidth(shape.K)}, elt),
              sharedTile({stagedRows * plan.vSlice}, elt),
              sharedTile({plan.vSlice / 64 * warpgroupRegionElements(shape.K)},
                         elt),
              sharedTile({kWarpgroupDecayTable}, b.getF32Type())};
    SmallVector<MemRefType> tiles;
    if (!isStates(part))
      tiles.push_back(sharedTile({stagedRows, plan.qkRow}, elt));
    tiles.push_back(sharedTile({stagedRows, plan.qkRow}, elt));
    tiles.push_back(sharedTile({stagedRows, plan.vRow}, elt));
    if (!isStates(part))
      tiles.push_back(sharedTile({plan.C, plan.aRow}, elt));
    return tiles;
  }

  /// The operands of kernel `part`'s body, its tiles `tileValues` in
  /// tilesOf's order.
  ChunkwiseMmaOperands operandsOf(Emitter &e, Block &body,
                                  ChunkwiseMmaPart part,
                                  ArrayRef<Value> tileValues) {
    Value hi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
    Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    ChunkwiseMmaOperands ops;
    ops.q = body.getArgument(signature.q);
    ops.k = body.getArgument(signature.k);
    ops.v = body.getArgument(signature.v);
    if (signature.s0 >= 0)
      ops.s0 = body.getArgument(signature.s0);
    ops.o = body.getArgument(signature.output());
    ops.state = body.getArgument(signature.finalState());
    if (segmented()) {
      ops.workspace = body.getArgument(signature.finalState() + 1);
      ops.slice = arith::RemUIOp::create(b, loc, bx, e.idx(slices));
      ops.segment = arith::DivUIOp::create(b, loc, bx, e.idx(slices));
    } else {
      ops.slice = bx;
    }
    ops.batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
    ops.head = hi;
    ops.tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    ops.log2g = selectLog2Gamma(e, op.getGammas(), hi);
    ops.scale = e.f32(op.getEffectiveScale());
    if (signature.numTokens >= 0)
      ops.tokens = body.getArgument(signature.numTokens);
    if (isStates(part)) {
      ops.Ks = tileValues[0];
      ops.Vs = tileValues[1];
      return ops;
    }
    ops.Qs = tileValues[0];
    ops.Ks = tileValues[1];
    ops.Vs = tileValues[2];
    if (plan.warpgroupMma) {
      ops.Ss = tileValues[3];
      ops.decayTable = tileValues[4];
    } else {
      ops.As = tileValues[3];
    }
    return ops;
  }

  /// The chunkwise kernel `part` (grid x: value slices, times segments or
  /// the states kernel's parts).
  void buildChunkKernel(StringRef name, ChunkwiseMmaPart part) {
    OpBuilder::InsertionGuard guard(b);
    SmallVector<MemRefType> tiles = tilesOf(part);
    int64_t dynamicBytes = isStates(part) ? schedule.getStatesSharedBytes()
                                          : schedule.getSharedBytes();
    SmallVector<Type> workgroup;
    if (!dynamicBytes)
      workgroup.assign(tiles.begin(), tiles.end());
    // The last segment's contribution is never needed (its outputs block
    // writes the final state).
    int64_t blocksX = isStates(part) ? plan.statesSplit * (plan.segments - 1)
                                     : plan.segments;
    auto kernel = createKernelFunc(b, loc, name, signature.params, workgroup,
                                   {slices * blocksX, shape.H, shape.B},
                                   {plan.threads, 1, 1}, dynamicBytes);
    // Two states blocks an SM where the schedule says so: ptxas keeps the
    // kernel within half the register file.
    if (isStates(part) && plan.statesBlocksPerSM == 2)
      kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      b.getI32IntegerAttr(2));
    Emitter e{b, loc};
    SmallVector<Value> tileValues;
    if (dynamicBytes)
      tileValues = viewDynamicShared(e, tiles);
    else
      llvm::append_range(tileValues, kernel.getWorkgroupAttributions());
    Block &body = kernel.getBody().front();
    ChunkwiseMmaOperands ops = operandsOf(e, body, part, tileValues);
    if (plan.warpgroupMma && !isStates(part))
      emitChunkwiseWarpgroupMma(e, shape, plan, ops, part);
    else
      emitChunkwiseTensorCores(e, shape, plan, ops, part);
    gpu::ReturnOp::create(b, loc);
  }

  /// The segment scan: each segment's initial state from the states
  /// kernel's contributions.
  void buildScanKernel(StringRef name) {
    OpBuilder::InsertionGuard guard(b);
    int64_t scanThreads = shape.K * shape.V / kSegmentScanWidth;
    int64_t scanBlocks =
        (scanThreads + kSegmentScanThreads - 1) / kSegmentScanThreads;
    auto kernel = createKernelFunc(b, loc, name, signature.params, {},
                                   {scanBlocks, shape.H, shape.B},
                                   {kSegmentScanThreads, 1, 1}, 0);
    Block &body = kernel.getBody().front();
    Emitter e{b, loc};
    Value hi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
    Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    Value first = e.muli(bx, e.idx(kSegmentScanThreads));
    Value tx = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    Value flat = e.addi(first, tx);
    Value s0 = signature.s0 >= 0 ? body.getArgument(signature.s0) : Value();
    Value batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
    Value log2g = selectLog2Gamma(e, op.getGammas(), hi);
    emitSegmentScan(e, shape, plan, s0,
                    body.getArgument(signature.finalState() + 1), batch, hi,
                    flat, log2g);
    gpu::ReturnOp::create(b, loc);
  }
};

} // namespace

LogicalResult mlir::retention::buildChunkwiseMmaKernels(
    OpBuilder &b, Location loc, StringRef name, Operation *gpuModule,
    ChunkwiseOp op, GpuScheduleAttr schedule,
    const KernelSignature &signature) {
  RetentionShape shape = op.getRetentionShape();
  ChunkwiseMmaPlan plan = chunkwiseMmaLayout(schedule, shape);
  if (failed(checkRunTimeSizes(op, shape, signature,
                                /*takesRunTimeBatch=*/false)))
    return failure();
  if (signature.numTokens >= 0 && plan.segments > 1)
    return op->emitOpError("takes no run-time token count with ")
           << plan.segments
           << " segments: the segment count, the grid and the workspace "
              "depend on T (pin segments = 1 in the schedule)";
  ChunkwiseMmaKernels kernels{b,
                              loc,
                              op,
                              schedule,
                              shape,
                              plan,
                              signature,
                              (shape.V + plan.vSlice - 1) / plan.vSlice};
  if (!kernels.segmented()) {
    kernels.buildChunkKernel(name, ChunkwiseMmaPart::Whole);
    return success();
  }
  // With segments every kernel takes the workspace after the parameters.
  kernels.signature.params.push_back(MemRefType::get(
      {shape.B, shape.H, plan.workspaceSlots(), shape.K, shape.V},
      b.getF32Type()));
  gpuModule->setAttr(RetentionDialect::WorkspaceBytesAttrHelper::getNameStr(),
                     b.getI64IntegerAttr(schedule.getWorkspaceBytes()));
  // Contributions, the scan, then the outputs: the order of the launches.
  kernels.buildChunkKernel((name + "_states").str(),
                           ChunkwiseMmaPart::SegmentStates);
  kernels.buildScanKernel((name + "_scan").str());
  kernels.buildChunkKernel(name, ChunkwiseMmaPart::SegmentOutputs);
  return success();
}
