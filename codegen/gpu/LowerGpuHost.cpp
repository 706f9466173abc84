//===- LowerGpuHost.cpp - the host program of a GPU model -----------------===//
//
// retention-lower-gpu-host: after bufferization, the model functions are
// the host program of a GPU model: they allocate activations, copy between
// buffers and launch kernels (retention.launch_kernel), all on device
// memory they must never touch themselves. This pass makes that program
// talk to the runtime (runtime/KernelABI.h):
//
//   gpu.module @k0_embedding, @k1_rms_norm, ...
//       -> one gpu.module @retention_kernels (kernel i: its i-th gpu.func)
//   func @prefill(..., table)         -> func @prefill(..., table, %host, %arena)
//   memref.alloc(%T) : memref<?xNxf32>
//       -> memref.view %arena_bytes[offset][%T], offset planned here
//   memref.copy %a, %b                -> host->copy(ctx, b, a, bytes)
//   retention.launch_kernel @k(...)   -> host->launch(ctx, request)
//
// The arena plan: a function's buffers live from their alloc to their
// dealloc (retention-plan-buffers put one after each last use), sized for
// the function's `retention.max_tokens` rows; first fit in order of
// allocation. A function called by another (the layer body) has its
// buffers past the caller's, so the offsets are constants; the module's
// `retention.arena_bytes` is the most any call chain needs.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "dialect/RetentionOps.h"

#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include "runtime/KernelABI.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONLOWERGPUHOST
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {

constexpr llvm::StringLiteral kMaxTokensAttr = "retention.max_tokens";
constexpr llvm::StringLiteral kKernelsModule = "retention_kernels";
/// Arena offsets are multiples of this (RETC_CUDA_BUFFER_ALIGNMENT).
constexpr int64_t kAlignment = RETC_CUDA_BUFFER_ALIGNMENT;
/// The largest arena a package may ask for (the manifest's arena_bytes
/// limit, docs/package-format.md).
constexpr int64_t kMaxArenaBytes = int64_t(1) << 40;
/// Fields of retc_gpu_host.
enum HostField { HostContext = 0, HostLaunch = 1, HostCopy = 2 };

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// How a kernel is launched: its index, its launch attribute and, per grid
/// dimension, how many rows one block covers (0: the dimension does not
/// depend on the row count).
struct KernelInfo {
  int64_t index = 0;
  int64_t grid[3] = {1, 1, 1};
  int64_t block[3] = {1, 1, 1};
  int64_t sharedBytes = 0;
  int64_t rowsPerBlock[3] = {0, 0, 0};
  gpu::GPUFuncOp func;
};

/// One buffer of a function's arena plan.
struct Slot {
  memref::AllocOp alloc;
  int64_t begin = 0, end = 0; ///< top-level positions, alloc to last use
  int64_t bytes = 0;
  int64_t offset = 0;
};

struct LowerGpuHostPass
    : public retention::impl::RetentionLowerGpuHostBase<LowerGpuHostPass> {
  llvm::StringMap<KernelInfo> kernels;

  /// Moves every kernel into one gpu.module and records how each launches.
  LogicalResult mergeKernels(ModuleOp module) {
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), kKernelsModule);
    auto *dialect = getContext().getLoadedDialect<RetentionDialect>();
    auto launchHelper = dialect->getLaunchAttrHelper();
    auto gemmHelper = dialect->getGemmScheduleAttrHelper();
    auto gpuHelper = dialect->getGpuScheduleAttrHelper();
    Block &into = merged.getBodyRegion().front();
    int64_t index = 0;
    for (gpu::GPUModuleOp m : modules) {
      SmallVector<gpu::GPUFuncOp> funcs(m.getOps<gpu::GPUFuncOp>());
      if (funcs.size() != 1)
        return m.emitError("retention-lower-gpu-host: kernel @")
               << m.getName() << " has " << funcs.size()
               << " entries; a model's kernels have one launch each so far "
                  "(no segmented schedules)";
      gpu::GPUFuncOp func = funcs.front();
      DictionaryAttr launch = launchHelper.getAttr(func);
      if (!launch)
        return func.emitError("retention-lower-gpu-host: kernel has no "
                              "retention.launch");
      KernelInfo info;
      info.index = index++;
      info.func = func;
      auto grid = launch.getAs<DenseI64ArrayAttr>("grid");
      auto block = launch.getAs<DenseI64ArrayAttr>("block");
      auto shared = launch.getAs<IntegerAttr>("shared_bytes");
      for (int i = 0; i < 3; ++i) {
        info.grid[i] = grid[i];
        info.block[i] = block[i];
      }
      info.sharedBytes = shared.getInt();
      if (GemmScheduleAttr s = gemmHelper.getAttr(m)) {
        info.rowsPerBlock[s.getMFirst() ? 0 : 1] = s.getBlockM();
        gemmHelper.setAttr(func, s);
      } else if (auto rows = launch.getAs<IntegerAttr>("rows_per_block")) {
        // A graph op's row kernel (GraphKernels.h): grid x counts rows.
        info.rowsPerBlock[0] = rows.getInt();
      }
      if (GpuScheduleAttr s = gpuHelper.getAttr(m))
        gpuHelper.setAttr(func, s);
      kernels[m.getName()] = info;
      for (Operation &op : llvm::make_early_inc_range(m.getBody()->getOperations()))
        op.moveBefore(&into, into.end());
      m.erase();
    }
    return success();
  }

  /// Adds the host and arena arguments to every function and passes them
  /// on at every call.
  void addHostArguments(ArrayRef<func::FuncOp> functions) {
    MLIRContext *ctx = &getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    for (func::FuncOp func : functions) {
      unsigned n = func.getNumArguments();
      (void)func.insertArgument(n, ptr, {}, func.getLoc());
      (void)func.insertArgument(n + 1, i64, {}, func.getLoc());
    }
    for (func::FuncOp func : functions) {
      Value host = func.getArgument(func.getNumArguments() - 2);
      Value arena = func.getArgument(func.getNumArguments() - 1);
      func.walk([&](func::CallOp call) {
        SmallVector<Value> args(call.getOperands());
        args.push_back(host);
        args.push_back(arena);
        call->setOperands(args);
      });
    }
  }

  static Value hostArg(func::FuncOp f) {
    return f.getArgument(f.getNumArguments() - 2);
  }
  static Value arenaArg(func::FuncOp f) {
    return f.getArgument(f.getNumArguments() - 1);
  }

  /// The byte size of `type` with dynamic dimensions `rows`, or nullopt
  /// where it exceeds kMaxArenaBytes.
  static std::optional<int64_t> boundBytes(MemRefType type, int64_t rows) {
    int64_t n = (type.getElementTypeBitWidth() + 7) / 8;
    for (int64_t d : type.getShape()) {
      int64_t size = ShapedType::isDynamic(d) ? rows : d;
      if (size != 0 && n > kMaxArenaBytes / size)
        return std::nullopt;
      n *= size;
    }
    return n;
  }

  /// Plans `func`'s buffers at `base` and replaces them by views of the
  /// arena; returns the bytes past `base` it uses.
  FailureOr<int64_t> planArena(func::FuncOp func, int64_t base) {
    SmallVector<memref::AllocOp> allocs;
    func.walk([&](memref::AllocOp a) { allocs.push_back(a); });
    if (allocs.empty())
      return 0;
    auto bound = func->getAttrOfType<IntegerAttr>(kMaxTokensAttr);
    Block &body = func.getBody().front();
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t p = 0;
    for (Operation &op : body)
      position[&op] = p++;
    auto topLevel = [&](Operation *op) {
      return position.lookup(body.findAncestorOpInBlock(*op));
    };
    SmallVector<Slot> slots;
    for (memref::AllocOp a : allocs) {
      // A buffer has one offset for the whole call: it must be allocated
      // at the top level and never leave the function (a buffer carried
      // around a loop or returned would share its memory with the next
      // one of its kind).
      if (a->getBlock() != &body)
        return a.emitOpError("retention-lower-gpu-host: a buffer allocated "
                             "inside a region of the host program");
      for (Operation *user : a->getUsers())
        if (isa<scf::YieldOp, func::ReturnOp>(user))
          return a.emitOpError("retention-lower-gpu-host: a buffer that "
                               "leaves its function or loop");
      MemRefType type = a.getType();
      if (!type.hasStaticShape() && !bound)
        return a.emitOpError("retention-lower-gpu-host: a dynamic buffer in "
                             "a function without '")
               << kMaxTokensAttr << "'";
      Slot s;
      s.alloc = a;
      s.begin = topLevel(a);
      s.end = p; // live to the end unless freed
      for (Operation *user : a->getUsers())
        if (isa<memref::DeallocOp>(user))
          s.end = topLevel(user);
      std::optional<int64_t> bytes =
          boundBytes(type, bound ? bound.getInt() : 1);
      if (!bytes)
        return a.emitOpError("retention-lower-gpu-host: a buffer of more "
                             "than 2^40 bytes (lower --max-tokens)");
      s.bytes = roundUp(*bytes, kAlignment);
      slots.push_back(s);
    }
    // First fit, in order of allocation.
    int64_t size = 0;
    for (size_t i = 0; i < slots.size(); ++i) {
      SmallVector<std::pair<int64_t, int64_t>> taken;
      for (size_t j = 0; j < i; ++j)
        if (slots[j].begin <= slots[i].end && slots[i].begin <= slots[j].end)
          taken.push_back({slots[j].offset, slots[j].offset + slots[j].bytes});
      llvm::sort(taken);
      int64_t offset = 0;
      for (auto [lo, hi] : taken) {
        if (offset + slots[i].bytes <= lo)
          break;
        offset = std::max(offset, hi);
      }
      slots[i].offset = offset;
      size = std::max(size, offset + slots[i].bytes);
    }

    // The arena as a memref<?xi8> at the entry of the function.
    MLIRContext *ctx = &getContext();
    OpBuilder b(&body, body.begin());
    Location loc = func.getLoc();
    auto bytesType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
    LLVMTypeConverter converter(ctx);
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Value address = LLVM::IntToPtrOp::create(b, loc, ptr, arenaArg(func));
    auto descriptor = MemRefDescriptor::poison(
        b, loc, converter.convertType(bytesType));
    descriptor.setAllocatedPtr(b, loc, address);
    descriptor.setAlignedPtr(b, loc, address);
    descriptor.setConstantOffset(b, loc, 0);
    descriptor.setConstantSize(b, loc, 0, base + size);
    descriptor.setConstantStride(b, loc, 0, 1);
    Value arena = UnrealizedConversionCastOp::create(
                      b, loc, TypeRange{bytesType}, ValueRange{descriptor})
                      .getResult(0);
    for (Slot &s : slots) {
      OpBuilder ab(s.alloc);
      Value offset =
          arith::ConstantIndexOp::create(ab, s.alloc.getLoc(), base + s.offset);
      Value view = memref::ViewOp::create(ab, s.alloc.getLoc(),
                                          s.alloc.getType(), arena, offset,
                                          s.alloc.getDynamicSizes());
      for (Operation *user : llvm::make_early_inc_range(s.alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      s.alloc.replaceAllUsesWith(view);
      s.alloc.erase();
    }
    return size;
  }

  /// The device address of `buf`'s first element, as i64.
  static Value addressOf(OpBuilder &b, Location loc, Value buf) {
    auto type = cast<MemRefType>(buf.getType());
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buf);
    auto meta = memref::ExtractStridedMetadataOp::create(b, loc, buf);
    Value bytes = arith::ConstantIndexOp::create(
        b, loc, type.getElementTypeBitWidth() / 8);
    Value offset = arith::MulIOp::create(b, loc, meta.getOffset(), bytes);
    Value sum = arith::AddIOp::create(b, loc, base, offset);
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), sum);
  }

  /// Loads the callback `field` of the host and its context.
  static std::pair<Value, Value> callback(OpBuilder &b, Location loc,
                                          Value host, HostField field) {
    MLIRContext *ctx = b.getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    auto hostType = LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, ptr});
    auto load = [&](HostField f) -> Value {
      Value addr = LLVM::GEPOp::create(b, loc, ptr, hostType, host,
                                       ArrayRef<LLVM::GEPArg>{0, int32_t(f)});
      return LLVM::LoadOp::create(b, loc, ptr, addr);
    };
    return {load(HostContext), load(field)};
  }

  /// Whether `type` is one contiguous run of memory: the identity layout,
  /// or strides that are the suffix products of the sizes (dimensions of
  /// size 1 aside; a dynamic size is allowed only where every dimension
  /// outside it has size 1).
  static bool isContiguous(MemRefType type) {
    if (type.getLayout().isIdentity())
      return true;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)))
      return false;
    ArrayRef<int64_t> shape = type.getShape();
    std::optional<int64_t> expected = 1;
    for (int64_t i = type.getRank() - 1; i >= 0; --i) {
      if (shape[i] == 1)
        continue;
      if (!expected || strides[i] != *expected)
        return false;
      if (ShapedType::isDynamic(shape[i]))
        expected = std::nullopt;
      else
        *expected *= shape[i];
    }
    return true;
  }

  LogicalResult lowerCopy(memref::CopyOp copy, Value host) {
    auto type = cast<MemRefType>(copy.getSource().getType());
    if (!isContiguous(type) ||
        !isContiguous(cast<MemRefType>(copy.getTarget().getType())))
      return copy.emitOpError("retention-lower-gpu-host: a device copy "
                              "between non-contiguous buffers");
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    Value elements = arith::ConstantIndexOp::create(
        b, loc, type.getElementTypeBitWidth() / 8);
    for (int64_t d = 0; d < type.getRank(); ++d)
      elements = arith::MulIOp::create(
          b, loc, elements, memref::DimOp::create(b, loc, copy.getSource(), d));
    Value bytes = arith::IndexCastOp::create(b, loc, b.getI64Type(), elements);
    Value dst = addressOf(b, loc, copy.getTarget());
    Value src = addressOf(b, loc, copy.getSource());
    auto [context, fn] = callback(b, loc, host, HostCopy);
    MLIRContext *ctx = &getContext();
    Type i64 = b.getI64Type();
    auto fnType = LLVM::LLVMFunctionType::get(
        IntegerType::get(ctx, 32),
        {LLVM::LLVMPointerType::get(ctx), i64, i64, i64});
    LLVM::CallOp::create(b, loc, fnType,
                         ValueRange{fn, context, dst, src, bytes});
    copy.erase();
    return success();
  }

  LogicalResult lowerLaunch(LaunchKernelOp launch, func::FuncOp func) {
    auto it = kernels.find(launch.getKernel());
    if (it == kernels.end())
      return launch.emitOpError("retention-lower-gpu-host: no GPU kernel '")
             << launch.getKernel() << "' (convert-retention-to-gpu makes them)";
    const KernelInfo &k = it->second;
    // The launch passes what the kernel takes: a buffer for each memref
    // parameter, an integer for each index parameter.
    gpu::GPUFuncOp kernelFunc = k.func;
    TypeRange params = kernelFunc.getArgumentTypes();
    bool matches = params.size() == launch.getArgs().size();
    for (auto [param, arg] : llvm::zip(params, launch.getArgs())) {
      auto p = dyn_cast<MemRefType>(param);
      auto a = dyn_cast<MemRefType>(arg.getType());
      if (!p || !a) {
        matches &= !p && !a;
        continue;
      }
      // A buffer goes as the address of its first element: it must be
      // dense, of the parameter's element type and static sizes.
      if (!isContiguous(a))
        return launch.emitOpError("passes a buffer that is not contiguous (")
               << a << ") to kernel @" << launch.getKernel();
      matches &= p.getElementType() == a.getElementType() &&
                 p.getRank() == a.getRank();
      for (int64_t d = 0; matches && d < a.getRank(); ++d)
        matches &= a.isDynamicDim(d) ? a.getDimSize(d) != 0
                                     : a.getDimSize(d) <= p.getDimSize(d);
    }
    if (!matches)
      return launch.emitOpError("passes ")
             << launch.getArgs().size() << " arguments (" << TypeRange(launch.getArgs())
             << ") to kernel @" << launch.getKernel() << ", which takes "
             << params.size() << " (" << params << ")";
    MLIRContext *ctx = &getContext();
    Location loc = launch.getLoc();
    Type i64 = IntegerType::get(ctx, 64);
    Type ptr = LLVM::LLVMPointerType::get(ctx);

    // The run-time row count: the first index argument.
    Value rows;
    for (Value a : launch.getArgs())
      if (a.getType().isIndex()) {
        rows = a;
        break;
      }
    if (!rows)
      return launch.emitOpError("has no row count");

    int64_t numArgs = launch.getArgs().size();
    int64_t words = RETC_GPU_LAUNCH_HEADER_WORDS + numArgs;
    OpBuilder entry(&func.getBody().front(), func.getBody().front().begin());
    Value count = LLVM::ConstantOp::create(entry, loc, i64,
                                           entry.getI64IntegerAttr(words));
    Value request = LLVM::AllocaOp::create(entry, loc, ptr, i64, count, 8);

    OpBuilder b(launch);
    auto store = [&](int64_t word, Value v) {
      if (v.getType().isIndex())
        v = arith::IndexCastOp::create(b, loc, i64, v);
      Value addr = LLVM::GEPOp::create(b, loc, ptr, i64, request,
                                       ArrayRef<LLVM::GEPArg>{int32_t(word)});
      LLVM::StoreOp::create(b, loc, v, addr);
    };
    auto constant = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(b, loc, v, 64);
    };
    store(0, constant(k.index));
    for (int i = 0; i < 3; ++i) {
      Value g;
      if (k.rowsPerBlock[i] > 0) {
        Value per = arith::ConstantIndexOp::create(b, loc, k.rowsPerBlock[i]);
        g = arith::CeilDivUIOp::create(b, loc, rows, per);
      } else {
        g = constant(k.grid[i]);
      }
      store(1 + i, g);
      store(4 + i, constant(k.block[i]));
    }
    store(7, constant(k.sharedBytes));
    store(8, constant(numArgs));
    for (auto [i, a] : llvm::enumerate(launch.getArgs()))
      store(RETC_GPU_LAUNCH_HEADER_WORDS + i,
            isa<MemRefType>(a.getType()) ? addressOf(b, loc, a) : a);
    auto [context, fn] = callback(b, loc, hostArg(func), HostLaunch);
    auto fnType = LLVM::LLVMFunctionType::get(IntegerType::get(ctx, 32),
                                              {ptr, ptr});
    LLVM::CallOp::create(b, loc, fnType, ValueRange{fn, context, request});
    launch.erase();
    return success();
  }

  /// The functions in an order where every caller comes before its callees
  /// (Kahn's algorithm over the call graph), so that a callee's arena
  /// region is placed past all of its callers'; failure on recursion.
  static FailureOr<SmallVector<func::FuncOp>>
  callersFirst(ArrayRef<func::FuncOp> fns) {
    llvm::DenseMap<StringRef, func::FuncOp> byName;
    for (func::FuncOp f : fns)
      byName[f.getSymName()] = f;
    llvm::DenseMap<Operation *, SmallVector<func::FuncOp>> callees;
    llvm::DenseMap<Operation *, int64_t> callers;
    for (func::FuncOp f : fns) {
      llvm::SmallPtrSet<Operation *, 4> seen;
      f.walk([&](func::CallOp c) {
        func::FuncOp g = byName.lookup(c.getCallee());
        if (g && seen.insert(g).second) {
          callees[f].push_back(g);
          ++callers[g];
        }
      });
    }
    SmallVector<func::FuncOp> order, ready;
    for (func::FuncOp f : fns)
      if (!callers.lookup(f))
        ready.push_back(f);
    while (!ready.empty()) {
      func::FuncOp f = ready.pop_back_val();
      order.push_back(f);
      for (func::FuncOp g : callees.lookup(f))
        if (--callers[g] == 0)
          ready.push_back(g);
    }
    if (order.size() != fns.size())
      return func::FuncOp(fns.front()).emitError("retention-lower-gpu-host: recursive "
                                   "host functions cannot be given arena "
                                   "regions");
    return order;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(mergeKernels(module)))
      return signalPassFailure();
    SmallVector<func::FuncOp> functions;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        functions.push_back(f);
    addHostArguments(functions);

    // Arena: a callee's buffers past its callers'.
    llvm::DenseMap<Operation *, int64_t> base;
    int64_t arenaBytes = 0;
    FailureOr<SmallVector<func::FuncOp>> order = callersFirst(functions);
    if (failed(order))
      return signalPassFailure();
    for (func::FuncOp f : *order) {
      int64_t at = base.lookup(f);
      FailureOr<int64_t> size = planArena(f, at);
      if (failed(size))
        return signalPassFailure();
      arenaBytes = std::max(arenaBytes, at + *size);
      if (arenaBytes > kMaxArenaBytes) {
        f.emitError("retention-lower-gpu-host: the activation arena needs ")
            << arenaBytes << " bytes, more than 2^40 (lower --max-tokens)";
        return signalPassFailure();
      }
      f.walk([&](func::CallOp c) {
        for (func::FuncOp g : functions)
          if (g.getSymName() == c.getCallee())
            base[g] = std::max(base.lookup(g), at + *size);
      });
    }
    module->setAttr("retention.arena_bytes",
                    IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                     arenaBytes));

    for (func::FuncOp f : functions) {
      SmallVector<memref::CopyOp> copies;
      SmallVector<LaunchKernelOp> launches;
      f.walk([&](Operation *op) {
        if (auto c = dyn_cast<memref::CopyOp>(op))
          copies.push_back(c);
        else if (auto l = dyn_cast<LaunchKernelOp>(op))
          launches.push_back(l);
      });
      for (memref::CopyOp c : copies)
        if (failed(lowerCopy(c, hostArg(f))))
          return signalPassFailure();
      for (LaunchKernelOp l : launches)
        if (failed(lowerLaunch(l, f)))
          return signalPassFailure();
      // The host program must not touch device memory: the only buffers it
      // reads are the tables of weight addresses.
      // The weights' addresses are read later, by
      // retention-lower-model-weights; nothing else may be loaded or stored.
      WalkResult touched = f.walk([&](Operation *op) {
        if (isa<memref::LoadOp, memref::StoreOp, memref::CopyOp>(op) ||
            isa<vector::VectorDialect>(op->getDialect()))
          return op->emitOpError("retention-lower-gpu-host: the host program "
                                 "would access device memory"),
                 WalkResult::interrupt();
        if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(op))
          return op->emitOpError("retention-lower-gpu-host: left in the host "
                                 "program"),
                 WalkResult::interrupt();
        return WalkResult::advance();
      });
      if (touched.wasInterrupted())
        return signalPassFailure();
    }
  }
};

} // namespace
