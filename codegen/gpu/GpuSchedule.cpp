//===- GpuSchedule.cpp - choosing how a retention op runs on a GPU --------===//
//
// See GpuSchedule.h. Every rule here was measured on an H200 (bf16); the
// numbers are in docs/gpu-codegen.md, "Choosing the schedule".
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GpuSchedule.h"
#include "codegen/gpu/ChunkwiseTensorCores.h"
#include "codegen/gpu/ChunkwiseWarpgroupMma.h"
#include "codegen/gpu/KernelLayouts.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <string>


using namespace mlir;
using namespace mlir::retention;

namespace {

int64_t ceilDiv(int64_t x, int64_t d) { return (x + d - 1) / d; }
int64_t roundUp(int64_t x, int64_t m) { return ceilDiv(x, m) * m; }

/// The shortest segment the automatic choice makes: shorter ones cost more
/// in workspace traffic and launches than their blocks win.
constexpr int64_t kMinSegmentTokens = 1024;
/// Threads of the widest tensor-core block (a 128-column slice): the
/// occupancy the register budget of the segment states kernel is planned
/// for.
constexpr int64_t kMaxTensorCoreThreads = 256;
/// The longest chunk (or parallel tile) of the SIMT kernels: its C x C f32
/// score tile must fit in static shared memory.
constexpr int64_t kMaxSimtChunk = 256;

/// How the segment schedule splits T: `count` segments of `length` tokens
/// (a multiple of the chunk; the last may be shorter). count = 1 is the
/// single kernel.
struct Segments {
  int64_t count = 1;
  int64_t length = 0;
};

/// Segments for B x T x H heads, chunk C, on `numSMs` SMs. `requested` > 0
/// asks for that many (1: off); 0 chooses: with B * H * ceil(V / 128)
/// blocks per segment, segments only when they leave more than half the
/// SMs idle, then as many as fill one wave of one block per SM (a partial
/// last wave costs as much as a full one, and every segment but the last
/// costs a second read of its k and v), never shorter than
/// kMinSegmentTokens.
Segments chooseSegments(const RetentionShape &shape, int64_t C, int64_t numSMs,
                        int64_t requested) {
  Segments none{1, shape.T};
  int64_t wanted = requested;
  if (requested == 0) {
    int64_t perSegment = shape.B * shape.H * ceilDiv(shape.V, 128);
    if (2 * perSegment >= numSMs)
      return none;
    wanted = std::min(numSMs / perSegment, shape.T / kMinSegmentTokens);
  }
  if (wanted <= 1 || C <= 0)
    return none;
  Segments s;
  s.length = roundUp(ceilDiv(shape.T, wanted), C);
  s.count = ceilDiv(shape.T, s.length);
  return s.count > 1 ? s : none;
}

/// The tensor-core chunkwise kernel for chunk `chunkSize`, or nullopt with
/// the reason in `whyNot`: bf16/f16 inputs, a chunk and K that are
/// multiples of 16, V a multiple of 8, tiles within the target's shared
/// memory. `warpgroupMma` plans the wgmma kernel where it applies (chunk
/// 64, K at most 256, a slice of 64 or 128), else the mma.sync one.
std::optional<ChunkwiseMmaPlan>
planTensorCores(const RetentionShape &shape, int64_t chunkSize, Type elt,
                const GpuScheduleRequest &request, int64_t numSMs,
                const GpuTargetInfo &target, bool warpgroupMma,
                std::string &whyNot) {
  const int64_t maxSharedBytes = target.maxSharedBytesPerBlock;
  const int64_t vSlice = request.valueSlice, stages = request.stages;
  if (!elt.isBF16() && !elt.isF16()) {
    whyNot = "inputs are not bf16 or f16";
    return std::nullopt;
  }
  if (chunkSize % 16 || shape.K % 16 || shape.V % 8) {
    whyNot = "the chunk and K must be multiples of 16 and V of 8";
    return std::nullopt;
  }
  // The warpgroup kernel at chunk 64 (rows past T are padding), K up to
  // 256 (its state update is wgmmas of N = K in pieces of at most 128),
  // slices of one or two warpgroups.
  const bool warpgroup = warpgroupMma && chunkSize == kWarpgroupChunk &&
                         shape.K <= 256 &&
                         (vSlice == 0 || vSlice == 64 || vSlice == 128);
  // A chunk longer than the sequence is the sequence, padded to 16 rows.
  int64_t C = warpgroup ? kWarpgroupChunk
                        : std::min(chunkSize, roundUp(shape.T, 16));
  auto sharedBytesOf = [&](int64_t vb, int64_t n) {
    return warpgroup ? warpgroupChunkSharedBytes(C, shape.K, vb, n)
                     : tensorCoreChunkSharedBytes(C, shape.K, vb, n);
  };
  Segments split = chooseSegments(shape, C, numSMs, request.segments);
  SmallVector<int64_t> candidates;
  if (vSlice > 0)
    candidates.push_back(vSlice);
  else if (warpgroup)
    candidates = {128, 64};
  else if (shape.V <= 16)
    candidates.push_back(16);
  else
    candidates = {128, 64, 32};
  // At least the stages asked for must fit (one when the choice is ours).
  int64_t minStages = std::max<int64_t>(stages, 1);
  int64_t chosen = 0;
  for (int64_t vb : candidates) {
    if (sharedBytesOf(vb, minStages) > maxSharedBytes)
      continue;
    // No slice wider than V needs (its extra warps would idle), except the
    // narrowest.
    if (vSlice == 0 && vb > 32 && vb > roundUp(shape.V, warpgroup ? 64 : 16))
      continue;
    chosen = vb;
    // Half a wave of wide slices beats a full wave of narrow ones, which
    // recompute the score tile once per slice.
    int64_t blocks = ceilDiv(shape.V, vb) * shape.B * shape.H * split.count;
    if (2 * blocks >= numSMs)
      break;
  }
  if (!chosen) {
    whyNot = "its tiles need " +
             std::to_string(sharedBytesOf(candidates.back(), minStages)) +
             " bytes of shared memory, more than " +
             std::to_string(maxSharedBytes);
    return std::nullopt;
  }
  ChunkwiseMmaPlan plan;
  plan.warpgroupMma = warpgroup;
  plan.C = C;
  plan.vSlice = chosen;
  plan.threads = 2 * chosen;
  // Double buffering where a block walks more than one chunk and it fits:
  // the next chunk's rows arrive while this one is computed.
  int64_t tokensPerBlock = split.count > 1 ? split.length : shape.T;
  plan.stages =
      stages ? stages
      : tokensPerBlock > C && sharedBytesOf(chosen, 2) <= maxSharedBytes ? 2
                                                                          : 1;
  plan.segments = split.count;
  plan.segmentLength = split.length;
  if (split.count == 1)
    return plan;
  // The states kernel holds its state columns in registers like the
  // outputs kernel (K/2 a thread) but nothing else of size: two of its
  // blocks share an SM (`.minnctapersm 2`) where the state takes at most
  // half of what a thread then may hold (K <= 128 with 256 threads: 128
  // registers) and their shared tiles fit too.
  const int64_t twoBlockRegisters =
      target.registersPerThreadAt(2, kMaxTensorCoreThreads);
  plan.statesBlocksPerSM = shape.K / 2 <= twoBlockRegisters / 2 ? 2 : 1;
  // It splits each segment but the last into r parts of L / r tokens (a
  // multiple of C), as many as keep its blocks within one wave of that
  // occupancy: with one wave of outputs blocks there would otherwise be
  // only one states block an SM.
  int64_t blocksPerPart =
      ceilDiv(shape.V, chosen) * shape.B * shape.H * (split.count - 1);
  for (int64_t r : {4, 2})
    if (split.length % (r * C) == 0 &&
        r * blocksPerPart <= plan.statesBlocksPerSM * numSMs) {
      plan.statesSplit = r;
      break;
    }
  // The states kernel stages only k and v and does little with them: it
  // needs more bytes in flight than the outputs kernel, three buffers
  // where they fit and leave room for its blocks an SM.
  const int64_t partLength = split.length / plan.statesSplit;
  const int64_t perBlockShared =
      target.sharedBytesPerBlockAt(plan.statesBlocksPerSM);
  plan.statesStages = 1;
  for (int64_t n : {3, 2})
    if (stages == 0 && partLength > C &&
        segmentStatesSharedBytes(C, shape.K, chosen, n) <= perBlockShared) {
      plan.statesStages = n;
      break;
    }
  if (stages)
    plan.statesStages = stages;
  if (segmentStatesSharedBytes(C, shape.K, chosen, plan.statesStages) >
      target.sharedBytesPerBlockAt(2))
    plan.statesBlocksPerSM = 1;
  return plan;
}

/// Bytes of the SIMT chunkwise kernel's staged q and k rows: chunk C, key
/// dim K, `bits`-bit elements.
int64_t simtStagedBytes(int64_t C, int64_t K, unsigned bits) {
  return 2 * C * K * (bits / 8);
}
/// Bytes of its f32 score tile and decay factors.
int64_t simtScoreTileBytes(int64_t C) { return 4 * C * C + 4 * C; }
/// Whether its staged rows fit beside them in static shared memory.
bool stagedRowsFitStatically(int64_t C, int64_t K, unsigned bits,
                             const GpuTargetInfo &target) {
  return simtStagedBytes(C, K, bits) + simtScoreTileBytes(C) <=
         target.staticSharedBytes;
}

/// The chunk the GPU kernels work best with when the user names none. The
/// wgmma kernel's where it is `preferred`. The mma.sync kernel: 64, but
/// 32 for K > 128 (RetNet-1.3B heads, K = 256, V = 512: chunk 64 spills
/// its 255 registers), where the tiles fit. The SIMT kernel: 32 or 16
/// where the staged q and k tiles fit beside the score tile statically
/// (the SIMT column work grows with C), else 64.
int64_t defaultChunk(const RetentionShape &shape, Type elt,
                     bool tensorCores, bool preferWgmma,
                     const GpuTargetInfo &target) {
  if (elt.getIntOrFloatBitWidth() != 16 || shape.K % 16 != 0)
    return 64;
  if (tensorCores && preferWgmma && shape.K <= 256)
    return kWarpgroupChunk;
  if (tensorCores)
    for (int64_t C : {64, 32, 16})
      if ((shape.K <= 128 || C <= 32) &&
          tensorCoreChunkSharedBytes(C, shape.K, 32) <=
              target.maxSharedBytesPerBlock)
        return C;
  for (int64_t C : {32, 16})
    if (stagedRowsFitStatically(C, shape.K, 16, target))
      return C;
  return 64;
}

/// The schedule attribute of a tensor-core plan (derived fields left to
/// completeGpuSchedule).
GpuScheduleAttr scheduleOf(MLIRContext *ctx, const ChunkwiseMmaPlan &plan) {
  return GpuScheduleAttr::get(
      ctx, plan.warpgroupMma ? GpuKernel::Wgmma : GpuKernel::MmaSync,
      plan.threads, plan.C, /*rows=*/1, /*lanes=*/1, GpuKernel::Simt,
      plan.vSlice, plan.stages, plan.segments,
      plan.segments > 1 ? plan.segmentLength : 0, plan.statesSplit,
      plan.statesStages, plan.statesBlocksPerSM, 0, 0, 0);
}

/// Threads (value columns) per block of the SIMT chunkwise and parallel
/// forms: the request's, else the widest of 128, 64, 32 that still makes
/// at least two blocks per SM. Wide blocks share one score tile among more
/// columns; narrow ones give small B*H more blocks (32 is 2.5x faster than
/// 128 at B*H = 16, 1.35x slower at 512).
int64_t simtBlock(const RetentionShape &shape, int64_t requested,
                  int64_t numSMs) {
  int64_t block = 32;
  if (requested > 0)
    block = requested;
  else
    for (int64_t b : {128, 64})
      if (ceilDiv(shape.V, b) * shape.B * shape.H >= 2 * numSMs) {
        block = b;
        break;
      }
  return std::min(block, roundUp(shape.V, 32));
}

/// The SIMT schedule of a recurrent, parallel or (not on tensor cores)
/// chunkwise op.
FailureOr<GpuScheduleAttr> selectSimt(RetentionOpInterface op,
                                      const GpuTargetInfo &target,
                                      const GpuScheduleRequest &request,
                                      int64_t numSMs, int64_t chunk) {
  MLIRContext *ctx = op->getContext();
  RetentionShape shape = op.getRetentionShape();
  if (isa<RecurrentOp>(op)) {
    // Four adjacent value columns a thread (16-byte state accesses) where
    // V allows; one warp of columns a block, its K rows split over as
    // many thread rows as fit in 512 threads, so that even one sequence's
    // decode step spreads over many blocks and has every state load in
    // flight at once.
    int64_t lanes = shape.V % 4 == 0 ? 4 : 1;
    int64_t block = std::min<int64_t>(32, roundUp(ceilDiv(shape.V, lanes), 32));
    int64_t rows = std::max<int64_t>(1, std::min<int64_t>(512 / block, shape.K));
    return GpuScheduleAttr::get(ctx, GpuKernel::Simt, block, /*chunk=*/0, rows,
                                lanes, GpuKernel::Simt, 0, 1, 1, 0, 1, 1, 1, 0,
                                0, 0);
  }
  // A chunk (tile) longer than the sequence is the whole sequence.
  int64_t C = std::min(chunk, shape.T);
  if (C > kMaxSimtChunk)
    return op->emitOpError("chunk size ")
           << C << " needs a " << C << " x " << C
           << " f32 score tile, more than the "
           << target.staticSharedBytes / 1024
           << " KiB of shared memory a GPU block has; use a chunk of at most "
              "64";
  int64_t block = simtBlock(shape, request.block, numSMs);
  GpuKernel scoreTile = GpuKernel::Simt;
  if (isa<ChunkwiseOp>(op)) {
    // On 16-bit inputs the score tile runs on tensor cores from the
    // chunk's q and k rows staged in shared memory, beside the score tile
    // where they fit statically, else (dynamic-staging) in dynamic shared
    // memory.
    Type elt = op.getQ().getType().getElementType();
    unsigned bits = elt.getIntOrFloatBitWidth();
    int64_t staged = simtStagedBytes(C, shape.K, bits);
    bool fits = stagedRowsFitStatically(C, shape.K, bits, target);
    if ((elt.isBF16() || elt.isF16()) && C % 16 == 0 && shape.K % 16 == 0 &&
        staged <= target.maxSharedBytesPerBlock - target.staticSharedBytes &&
        (fits || request.dynamicStaging))
      scoreTile = GpuKernel::MmaSync;
  }
  return GpuScheduleAttr::get(ctx, GpuKernel::Simt, block, C, 1, 1, scoreTile,
                              0, 1, 1, 0, 1, 1, 1, 0, 0, 0);
}

/// The tensor-core schedule of a chunkwise op, or a null attribute where
/// the shape cannot take it and the request allows the SIMT kernel.
FailureOr<GpuScheduleAttr>
selectTensorCores(ChunkwiseOp op, const GpuTargetInfo &target,
                  const GpuScheduleRequest &request, int64_t numSMs,
                  int64_t &chunk, std::string &why) {
  RetentionShape shape = op.getRetentionShape();
  Type elt = op.getQ().getType().getElementType();
  using Wgmma = GpuScheduleRequest::Wgmma;
  const bool wgmmaRequired = request.wgmma == Wgmma::Required;
  const bool tryWgmma = target.hasWgmma && request.wgmma != Wgmma::Off;
  std::string whyNot;
  std::optional<ChunkwiseMmaPlan> plan;
  // Why not wgmma, for the explanation.
  std::string whyNotWgmma =
      !target.hasWgmma ? target.name.str() + " has no wgmma"
      : request.wgmma == Wgmma::Off ? "wgmma is off by request"
                                    : "wgmma takes chunk 64 only, the op's is " +
                                          std::to_string(chunk);
  // The wgmma kernel at its chunk where the target has it and the op takes
  // it: that kernel, and its chunk the default.
  if (tryWgmma && (request.chooseChunk || chunk == kWarpgroupChunk)) {
    plan = planTensorCores(shape, kWarpgroupChunk, elt, request, numSMs,
                           target, /*warpgroupMma=*/true, whyNot);
    whyNotWgmma = plan ? "wgmma takes K up to 256 and value slices of 64 or "
                         "128"
                       : "wgmma cannot take it: " + whyNot;
    if (plan && !plan->warpgroupMma)
      plan.reset();
    if (plan)
      chunk = kWarpgroupChunk;
  }
  if (!plan) {
    if (request.chooseChunk)
      chunk = defaultChunk(shape, elt, /*tensorCores=*/true, wgmmaRequired,
                           target);
    plan = planTensorCores(shape, chunk, elt, request, numSMs, target,
                           wgmmaRequired, whyNot);
  }
  if (plan) {
    if (wgmmaRequired && !plan->warpgroupMma)
      return op->emitOpError("cannot take the wgmma kernel: it needs chunk ")
             << kWarpgroupChunk << " (got " << chunk
             << "), K at most 256 (got " << shape.K
             << ") and a value slice of 0, 64 or 128 (got "
             << request.valueSlice << ")";
    why = plan->warpgroupMma
              ? "kernel = wgmma: " + target.name.str() +
                    " has it and the op takes it (bf16/f16, chunk 64, K up "
                    "to 256, V a multiple of 8, its tiles fit)"
              : "kernel = mma_sync: " + whyNotWgmma;
    if (plan->segments > 1)
      why += request.segments
                 ? "; segments as asked"
                 : "; " + std::to_string(plan->segments) +
                       " segments: B*H*ceil(V/128) blocks would leave more "
                       "than half of " +
                       std::to_string(numSMs) + " SMs idle";
    return scheduleOf(op->getContext(), *plan);
  }
  // A slice, a number of stages or the wgmma kernel asked for that cannot
  // be had is an error, not a silent fall back to the SIMT kernel.
  if (request.valueSlice != 0 || request.stages != 0 || wgmmaRequired) {
    SmallVector<std::string> asked;
    if (request.valueSlice)
      asked.push_back("value slice " + std::to_string(request.valueSlice));
    if (request.stages)
      asked.push_back("stages " + std::to_string(request.stages));
    if (wgmmaRequired)
      asked.push_back("wgmma");
    return op->emitOpError("cannot take the tensor-core kernel with ")
           << llvm::join(asked, " and ") << ": " << whyNot;
  }
  // The SIMT kernel, at the chunk chosen for tensor cores.
  why = "kernel = simt: the tensor-core kernels cannot take it: " + whyNot;
  return GpuScheduleAttr();
}

} // namespace

FailureOr<GpuScheduleAttr>
mlir::retention::selectGpuSchedule(RetentionOpInterface op,
                                   const GpuTargetInfo &target,
                                   const GpuScheduleRequest &request,
                                   std::string *explanation) {
  RetentionShape shape = op.getRetentionShape();
  if (!shape.isStatic())
    return op->emitOpError("needs static shapes to be lowered to the GPU");
  if (shape.B > target.maxGridYZ || shape.H > target.maxGridYZ)
    return op->emitOpError("has B = ")
           << shape.B << " and H = " << shape.H << "; the GPU grid holds at most "
           << target.maxGridYZ << " of each";
  const int64_t numSMs = request.numSMs > 0 ? request.numSMs : target.numSMs;
  auto chunkwise = dyn_cast<ChunkwiseOp>(op.getOperation());
  int64_t chunk = chunkwise ? chunkwise.getChunkSize() : request.parallelTile;
  GpuScheduleAttr schedule;
  std::string why = isa<RecurrentOp>(op)
                        ? "kernel = simt: the recurrent form's kernel"
                    : chunkwise ? "kernel = simt: tensor cores are off by "
                                  "request"
                                : "kernel = simt: the parallel form's kernel";
  if (chunkwise && request.tensorCores && target.hasMmaSync) {
    auto tensorCores =
        selectTensorCores(chunkwise, target, request, numSMs, chunk, why);
    if (failed(tensorCores))
      return failure();
    schedule = *tensorCores;
  } else if (chunkwise && request.chooseChunk) {
    chunk = defaultChunk(shape, op.getQ().getType().getElementType(),
                         /*tensorCores=*/false, false, target);
  }
  if (!schedule) {
    auto simt = selectSimt(op, target, request, numSMs, chunk);
    if (failed(simt))
      return failure();
    schedule = *simt;
  }
  if (schedule.getScoreTile() == GpuKernel::MmaSync)
    why += "; its score tile on mma.sync from staged q and k rows";
  if (explanation)
    *explanation = why;
  // The op's chunk is the kernel's.
  if (chunkwise && int64_t(chunkwise.getChunkSize()) != schedule.getChunk())
    chunkwise.setChunkSize(schedule.getChunk());
  return completeGpuSchedule(op, schedule, target);
}

namespace {

/// Static shared memory of a SIMT kernel under `s`: the recurrent form's
/// partial dot products; the chunkwise form's score tile, decay factors and
/// (score_tile = mma_sync, static) staged q and k rows; the parallel form's
/// score and output tiles.
int64_t simtStaticSharedBytes(RetentionOpInterface op, GpuScheduleAttr s,
                              int64_t stagedBytes) {
  int64_t C = s.getChunk();
  if (isa<RecurrentOp>(op))
    return 4 * s.getRows() * s.getBlock() * s.getLanes();
  if (isa<ParallelOp>(op))
    return 4 * C * C + 4 * C * s.getBlock();
  return simtScoreTileBytes(C) + (s.getSharedBytes() ? 0 : stagedBytes);
}

} // namespace

FailureOr<GpuScheduleAttr>
mlir::retention::completeGpuSchedule(RetentionOpInterface op,
                                     GpuScheduleAttr s,
                                     const GpuTargetInfo &target) {
  RetentionShape shape = op.getRetentionShape();
  if (!shape.isStatic())
    return op->emitOpError("needs static shapes to be lowered to the GPU");
  if (failed(verifyGpuScheduleForOp(s, op)))
    return failure();
  auto fail = [&]() {
    return op->emitOpError("gpu_schedule on ") << target.name << ": ";
  };
  // Given where nonzero, else filled in: each derived field must be what
  // the layout says.
  auto derive = [&](StringRef field, int64_t given,
                    int64_t expected) -> FailureOr<int64_t> {
    if (given != 0 && given != expected)
      return fail() << field << " is " << given << " but the kernel's layout "
                    << "takes " << expected
                    << (expected == 0 ? " (its tiles are static shared memory)"
                                      : "");
    return expected;
  };
  if (s.getKernel() == GpuKernel::Wgmma && !target.hasWgmma)
    return fail() << "kernel = wgmma needs a target with wgmma (sm_90a)";
  if ((s.isTensorCoreChunkwise() || s.getScoreTile() == GpuKernel::MmaSync) &&
      !target.hasMmaSync)
    return fail() << "mma.sync is not available";
  MLIRContext *ctx = op->getContext();
  if (!s.isTensorCoreChunkwise()) {
    Type elt = op.getQ().getType().getElementType();
    int64_t C = s.getChunk();
    unsigned bits = elt.getIntOrFloatBitWidth();
    int64_t staged = simtStagedBytes(C, shape.K, bits);
    bool scoreMma = s.getScoreTile() == GpuKernel::MmaSync;
    // Staged rows beside the score tile where they fit statically, else in
    // dynamic shared memory.
    bool dynamicStaging =
        scoreMma && !stagedRowsFitStatically(C, shape.K, bits, target);
    auto shared = derive("shared_bytes", s.getSharedBytes(),
                         dynamicStaging ? staged : 0);
    if (failed(shared))
      return failure();
    if (*shared > target.maxSharedBytesPerBlock - target.staticSharedBytes)
      return fail() << "its staged q and k rows need " << *shared
                    << " bytes of dynamic shared memory, more than "
                    << target.maxSharedBytesPerBlock - target.staticSharedBytes;
    GpuScheduleAttr done = GpuScheduleAttr::get(
        ctx, s.getKernel(), s.getBlock(), C, s.getRows(), s.getLanes(),
        s.getScoreTile(), 0, 1, 1, 0, 1, 1, 1, *shared, 0, 0);
    int64_t bytes = simtStaticSharedBytes(op, done, scoreMma ? staged : 0);
    if (bytes > target.staticSharedBytes)
      return op->emitOpError("needs ")
             << bytes << " bytes of shared memory (chunk " << C
             << "), more than the " << target.staticSharedBytes / 1024
             << " KiB a GPU block has; use a smaller chunk";
    return done;
  }
  ChunkwiseMmaPlan plan = chunkwiseMmaLayout(s, shape);
  if (plan.sharedBytes > target.maxSharedBytesPerBlock)
    return fail() << "its tiles need " << plan.sharedBytes
                  << " bytes of shared memory, more than "
                  << target.maxSharedBytesPerBlock;
  // Tiles beyond the static limit are dynamic, and always the wgmma
  // kernel's (its swizzled tiles need the 1024-byte alignment of the
  // start of dynamic shared memory).
  auto shared = derive("shared_bytes", s.getSharedBytes(),
                       plan.sharedBytes > target.staticSharedBytes ||
                               plan.warpgroupMma
                           ? plan.sharedBytes
                           : 0);
  int64_t statesBytes = 0, workspace = 0;
  if (plan.segments > 1) {
    if (plan.statesSharedBytes >
        target.sharedBytesPerBlockAt(plan.statesBlocksPerSM))
      return fail() << "the segment states kernel's tiles need "
                    << plan.statesSharedBytes << " bytes of shared memory, "
                    << "more than " << plan.statesBlocksPerSM
                    << " blocks an SM have";
    auto states = derive("states_shared_bytes", s.getStatesSharedBytes(),
                         plan.statesSharedBytes > target.staticSharedBytes
                             ? plan.statesSharedBytes
                             : 0);
    auto ws = derive("workspace_bytes", s.getWorkspaceBytes(),
                     plan.workspaceBytes);
    if (failed(states) || failed(ws))
      return failure();
    statesBytes = *states;
    workspace = *ws;
  }
  if (failed(shared))
    return failure();
  return GpuScheduleAttr::get(
      ctx, s.getKernel(), s.getBlock(), s.getChunk(), 1, 1, GpuKernel::Simt,
      s.getValueSlice(), s.getStages(), s.getSegments(), s.getSegmentLength(),
      s.getParts(), s.getStatesStages(), s.getStatesBlocksPerSm(), *shared,
      statesBytes, workspace);
}
