//===- EmitModelABI.cpp - the model entry points of a CPU package ---------===//
//
// retention-emit-model-abi: for each model entry function in the LLVM
// dialect -- public, void, taking (num_tokens, position, all_logits: i64,
// then pointers: tokens, state, logits, the table of weight addresses) as
// the model builder makes them, then for decode_batch the positions
// buffer, for prefill_batch the positions, the sequence count and the
// offsets -- add `retc_model_<name>(const retc_model_call *)`
// (runtime/KernelABI.h) that unpacks the call and calls it. With `gpu`, the host program of a GPU model: the functions take the
// positions buffer (frontend/ModelBuilder.h, `deviceDecode`), a
// `retc_gpu_host *` and the arena's device address last, and the wrapper is
// `retc_gpu_model_<name>(const retc_gpu_model_call *)`.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "runtime/KernelABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONEMITMODELABI
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;

namespace {
/// Fields of retc_model_call, in order.
enum CallField {
  Weights, Tokens, NumTokens, Position, State, Logits, AllLogits, Positions,
  NumSequences, SequenceOffsets
};
/// Fields of retc_gpu_model_call, in order.
enum GpuCallField {
  GpuHost, GpuWeights, GpuTokens, GpuNumTokens, GpuPosition, GpuState,
  GpuLogits, GpuAllLogits, GpuArena, GpuPositions
};
constexpr unsigned kLeadingScalars = 3, kLeadingPointers = 3;

struct EmitModelABIPass
    : public retention::impl::RetentionEmitModelABIBase<EmitModelABIPass> {
  using RetentionEmitModelABIBase::RetentionEmitModelABIBase;

  StringRef prefix() const {
    return gpu ? RETC_GPU_MODEL_ENTRY_PREFIX : RETC_MODEL_ENTRY_PREFIX;
  }

  bool isEntry(LLVM::LLVMFuncOp func, Type ptr, Type i64) {
    if (func.isExternal() || func.isPrivate() ||
        func.getName().starts_with(prefix()))
      return false;
    LLVM::LLVMFunctionType type = func.getFunctionType();
    ArrayRef<Type> params = type.getParams();
    unsigned common = kLeadingScalars + kLeadingPointers + 1;
    // A CPU package's decode_batch also takes its rows' positions,
    // prefill_batch its tokens' positions, the sequence count and the
    // offsets.
    bool sizeOk = gpu ? params.size() == common + 3
                      : params.size() == common ||
                            (params.size() == common + 1 &&
                             params[common] == ptr) ||
                            (params.size() == common + 3 &&
                             params[common] == ptr &&
                             params[common + 1] == i64 &&
                             params[common + 2] == ptr);
    if (!isa<LLVM::LLVMVoidType>(type.getReturnType()) || !sizeOk)
      return false;
    for (auto [i, t] : llvm::enumerate(params.take_front(common)))
      if (t != (i < kLeadingScalars ? i64 : ptr))
        return false;
    return !gpu || (params[common] == ptr && params[common + 1] == ptr &&
                    params[common + 2] == i64);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    auto callType = LLVM::LLVMStructType::getLiteral(
        ctx, gpu ? ArrayRef<Type>{ptr, ptr, i64, i64, i64, i64, i64, i64, i64,
                                  i64}
                 : ArrayRef<Type>{ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64,
                                  ptr});
    SmallVector<LLVM::LLVMFuncOp> entries;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (isEntry(func, ptr, i64))
        entries.push_back(func);
    if (entries.empty()) {
      module.emitError("retention-emit-model-abi: no model entry function "
                       "(void, i64 x 3, then 4 pointers")
          << (gpu ? ", then 2 pointers and an i64" : "") << ") in the module";
      return signalPassFailure();
    }
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    for (LLVM::LLVMFuncOp entry : entries) {
      Location loc = entry.getLoc();
      auto wrapper = LLVM::LLVMFuncOp::create(
          b, loc, (prefix() + entry.getName()).str(),
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(wrapper.addEntryBlock(b));
      Value call = wrapper.getArgument(0);
      auto field = [&](int32_t f, Type t) -> Value {
        Value addr = LLVM::GEPOp::create(
            b, loc, ptr, callType, call,
            ArrayRef<LLVM::GEPArg>{0, f});
        return LLVM::LoadOp::create(b, loc, t, addr);
      };
      SmallVector<Value> args;
      if (gpu) {
        // Device addresses travel as integers; the host program passes
        // them on without dereferencing them.
        auto address = [&](GpuCallField f) {
          return LLVM::IntToPtrOp::create(b, loc, ptr,
                                          field(f, i64));
        };
        args = {field(GpuNumTokens, i64),
                field(GpuPosition, i64),
                field(GpuAllLogits, i64),
                address(GpuTokens),
                address(GpuState),
                address(GpuLogits),
                field(GpuWeights, ptr),
                address(GpuPositions),
                field(GpuHost, ptr),
                field(GpuArena, i64)};
      } else {
        args = {field(NumTokens, i64), field(Position, i64),
                field(AllLogits, i64), field(Tokens, ptr),
                field(State, ptr),     field(Logits, ptr)};
        // The weights: the table of their addresses, which the entry reads
        // (retention.model_weight).
        args.push_back(field(Weights, ptr));
        unsigned params = entry.getFunctionType().getNumParams();
        if (params > args.size())
          args.push_back(field(Positions, ptr));
        if (params > args.size())
          args.append({field(NumSequences, i64), field(SequenceOffsets, ptr)});
      }
      LLVM::CallOp::create(b, loc, entry, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }
  }
};
} // namespace
