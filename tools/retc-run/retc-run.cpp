//===- retc-run.cpp - Run a package kernel on .npy files --------*- C++ -*-===//
//
// The command-line runner that scripts and tests use:
//   retc-run OUT.retpkg --input q=Q.npy --input k=K.npy --input v=V.npy
//            [--input s0=S0.npy] --output-dir DIR [--repeat N]
//            [--device N] [--graph]
// It binds every .npy input to the kernel parameter of that name (converting
// float32/float16/float64 to the parameter's element type), runs the kernel
// on the package's target (the CPU, or a CUDA GPU) and writes each output
// parameter to DIR/<name>.npy as float32. A model package (one with a
// `model` section) runs instead with --weights and --tokens, writing logits
// (--logits) or generating tokens (--generate): ModelCommands.cpp. Every
// error is one line `retc-run: error: <file>: <problem>` and exit status 1.
//
//===----------------------------------------------------------------------===//
#include "runtime/KernelABI.h"
#include "runtime/Npy.h"
#include "runtime/Runtime.h"
#include "runtime/package/KernelParams.h"
#include "tools/retc-run/ModelCommands.h"
#include "tools/retc-run/OutputFiles.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

using namespace retc::rt;
using retc::run::fail;
using retc::run::ModelOptions;

namespace {

/// Command-line options.
struct Options {
  std::string package;
  std::vector<std::string> inputs;
  std::string outputDir;
  std::string kernel;
  unsigned repeat = 1;
  int device = -1;
  bool graph = false;
  bool describe = false;
  /// The kernel flags given, in the order of --help (for conflicts).
  std::vector<std::string> kernelFlags;
  ModelOptions model;
};

const char *kFooter = R"(Contract:
  Every input parameter of the kernel must be given exactly once with
  --input NAME=FILE.npy; the array's shape must equal the parameter's shape.
  Arrays may be float32, float16 or float64 (little-endian, C order); they
  are converted to the parameter's element type (f32, bf16 or f16).
  Each output parameter is written to DIR/<name>.npy as float32 (for a
  retention kernel: o.npy [B,T,H,V] and state.npy [B,H,K,V]; for a linear
  kernel, inputs x [M,K], weight [N,K] and residual [M,N] if it takes
  one: y.npy [M,N]): all of them
  or, on an error, none (an earlier run's files stay as they were).
  Outputs are filled with NaN before the kernel runs, so anything it fails
  to write shows. DIR is created if missing.
  A cuda package runs on GPU --device N (default: $RETC_DEVICE, else 0);
  the arrays are copied to the device and back. So does a cuda model. --graph captures one
  launch in a CUDA graph and replays it (times are per replay).
  Errors: one line 'retc-run: error: <file>: <problem>', exit status 1.

Models:
  A package with a 'model' section takes --weights (a safetensors
  checkpoint holding exactly the tensors the manifest lists; bf16/f16 are
  converted) and --tokens (comma-separated ids, or @FILE holding them:
  one argument holds at most 128 KiB, some 40,000 ids), then either --logits
  OUT.npy (float32 [T, vocab], one row per input position; from 'forward',
  or with --decode-from=P positions < P from 'prefill' and the rest from
  'decode' one at a time) or --generate=N (prints 'tokens: ...' and the
  prefill and decode throughput; --temperature 0 is greedy, else sampling
  over the --top-k largest logits with --seed).

Example:
  retc --kernel=retention --form=chunkwise --chunk=8 --shape=2,5,3,4,6 \
       --dtype=f32 --target=cpu -o r.retpkg
  retc-run r.retpkg --input q=q.npy --input k=k.npy --input v=v.npy \
       --output-dir out            # writes out/o.npy and out/state.npy
  retc --kernel=linear --shape=37,24,20 --residual --target=cpu -o l.retpkg
  retc-run l.retpkg --input x=x.npy --input weight=w.npy \
       --input residual=r.npy --output-dir out   # writes out/y.npy
)";

/// Prints the package's target and the selected kernel's parameters (and,
/// for a cuda kernel, its launch configuration).
void describe(const Session &session) {
  const Manifest &manifest = session.package().manifest;
  const KernelDesc &kernel = session.kernel();
  std::printf("package: %s (producer: %s)\n", session.package().path.c_str(),
              manifest.producer.c_str());
  if (manifest.target.kind == TargetKind::Cuda)
    std::printf("target: cuda %s\n", manifest.target.arch.c_str());
  else
    std::printf("target: cpu %s %s\n", manifest.target.triple.c_str(),
                manifest.target.cpu.c_str());
  if (kernel.kind == KernelKind::Retention) {
    std::string chunk =
        kernel.chunkSize ? " chunk=" + std::to_string(*kernel.chunkSize) : "";
    std::printf("kernel: %s form=%s%s dtype=%s %s\n", kernel.name.c_str(),
                formName(kernel.form), chunk.c_str(), dtypeName(kernel.dtype),
                describeSizes(kernel).c_str());
  } else {
    std::printf("kernel: %s kind=%s dtype=%s %s\n", kernel.name.c_str(),
                kernelKindName(kernel.kind), dtypeName(kernel.dtype),
                describeSizes(kernel).c_str());
  }
  for (const TensorParam &param : kernel.params)
    std::printf("  %-6s %-5s %-4s %s\n", roleName(param.role),
                param.name.c_str(), dtypeName(param.dtype),
                formatShape(param.shape).c_str());
  for (const LaunchConfig &l : kernel.launchSequence()) {
    const BlobDesc *blob = manifest.findBlob(kernel.blob);
    std::printf("  launch entry=%s grid=%s block=%s shared_bytes=%lld "
                "blob=%s (%s, %llu bytes)\n",
                l.entry.c_str(),
                formatShape({l.grid.begin(), l.grid.end()}).c_str(),
                formatShape({l.block.begin(), l.block.end()}).c_str(),
                (long long)l.sharedBytes, blob->name.c_str(),
                blobFormatName(blob->format), (unsigned long long)blob->size);
  }
  if (kernel.workspaceBytes)
    std::printf("  workspace_bytes=%lld\n", (long long)kernel.workspaceBytes);
}

/// Binds the --input NAME=FILE pairs to the session's inputs: every input
/// exactly once, no unknown names, exact shapes.
Error bindInputs(Session &session, const std::vector<std::string> &specs) {
  const KernelDesc &kernel = session.kernel();
  const std::string &pkg = session.package().path;
  std::map<std::string, std::string> files; // name -> file
  std::vector<std::pair<std::string, std::string>> ordered;
  for (const std::string &spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return Error::failure("--input '" + spec + "': expected NAME=FILE.npy");
    std::string name = spec.substr(0, eq), file = spec.substr(eq + 1);
    const TensorParam *param = kernel.findParam(name);
    if (!param) {
      std::string known;
      for (const TensorParam &p : kernel.params)
        if (p.role == ParamRole::Input)
          known += (known.empty() ? "" : ", ") + p.name;
      return Error::atFile(pkg, "kernel '" + kernel.name +
                                    "' has no input named '" + name +
                                    "' (its inputs: " + known + ")");
    }
    if (param->role != ParamRole::Input)
      return Error::atFile(pkg, "'" + name + "' is an output of kernel '" +
                                    kernel.name + "', not an input");
    auto [it, inserted] = files.emplace(name, file);
    if (!inserted)
      return Error::atFile(pkg, "input '" + name + "' given twice (" +
                                    it->second + " and " + file + ")");
    ordered.emplace_back(name, file);
  }
  for (const TensorParam &param : kernel.params)
    if (param.role == ParamRole::Input && !files.count(param.name))
      return Error::atFile(pkg, "missing --input " + param.name +
                                    "=FILE.npy (kernel '" + kernel.name +
                                    "' takes " + formatShape(param.shape) +
                                    " " + dtypeName(param.dtype) + ")");

  for (const auto &[name, file] : ordered) {
    Expected<NpyArray> array = readNpy(file);
    if (!array)
      return array.error();
    const TensorParam &param = *kernel.findParam(name);
    if (array->shape != param.shape)
      return Error::atFile(file, "shape " + formatShape(array->shape) +
                                     " does not match input '" + name +
                                     "' of kernel '" + kernel.name +
                                     "', which expects " +
                                     formatShape(param.shape));
    if (Error err = session.setInput(name, array->shape, array->data.data()))
      return err;
  }
  return Error::success();
}

/// `dir/<name>.npy`, where output parameter `name` is written.
std::string outputPath(const std::string &dir, const std::string &name) {
  return (std::filesystem::path(dir) / (name + ".npy")).string();
}

/// Creates `dir` if needed and checks that files can be written in it, and
/// that nothing but a file is in the way of any output of `kernel`.
Error prepareOutputDir(const std::string &dir, const KernelDesc &kernel) {
  namespace fs = std::filesystem;
  if (dir.empty())
    return Error::failure("--output-dir: empty directory name");
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    return Error::atFile(dir, "cannot use as output directory: exists and "
                              "is not a directory");
  fs::create_directories(dir, ec);
  if (ec)
    return Error::atFile(dir,
                         "cannot create output directory: " + ec.message());
  if (!fs::is_directory(dir, ec))
    return Error::atFile(dir, "output directory is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return Error::atFile(dir, "output directory is not writable");
  for (const TensorParam &param : kernel.params)
    if (param.role == ParamRole::Output)
      if (Error err = retc::run::checkOutputPath(outputPath(dir, param.name)))
        return err;
  return Error::success();
}

/// Prints the median, min and max of `seconds`, in milliseconds. CPU runs
/// keep the original line; GPU runs say what was timed.
void printTimes(const Session &session, const Options &options,
                std::vector<double> seconds) {
  std::sort(seconds.begin(), seconds.end());
  size_t n = seconds.size();
  double median =
      n % 2 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
  std::string what = "runs";
  if (session.package().manifest.target.kind == TargetKind::Cuda)
    what = (options.graph ? "graph replays on " : "launches on ") +
           session.where() + ", CUDA events";
  std::printf("retc-run: kernel '%s': median %.6f ms, min %.6f ms, max %.6f "
              "ms over %zu %s\n",
              session.kernel().name.c_str(), median * 1e3,
              seconds.front() * 1e3, seconds.back() * 1e3, n, what.c_str());
}

int runTool(Options &options) {
  // Model flags and kernel flags do not mix; the model flags' own checks
  // need no package.
  const char *modelFlag = options.model.firstGiven();
  if (modelFlag && !options.kernelFlags.empty())
    return fail("conflicting flags: " + std::string(modelFlag) +
                " is for model packages, " + options.kernelFlags.front() +
                " for kernel packages (see --help)");
  if (Error err = retc::run::readTokensFile(options.model))
    return fail(err.message());
  if (Error err = retc::run::checkModelFlags(options.model))
    return fail(err.message() + " (see --help)");

  Expected<Package> package = readPackage(options.package);
  if (!package)
    return fail(package.message());
  if (package->manifest.model) {
    if (!options.kernelFlags.empty())
      return fail(options.package + ": " + options.kernelFlags.front() +
                  " does not apply to a model package (it takes --weights "
                  "and --tokens; see --help)");
    return retc::run::runModelCommand(*package, options.model, options.device,
                                      options.describe);
  }
  if (modelFlag)
    return fail(options.package + ": " + modelFlag +
                " needs a model package; this one holds kernels");

  SessionOptions sessionOptions;
  sessionOptions.kernel = options.kernel;
  sessionOptions.device = options.device;
  Expected<std::unique_ptr<Session>> opened =
      Session::open(options.package, sessionOptions);
  if (!opened)
    return fail(opened.message());
  Session &session = **opened;
  if (options.describe) {
    describe(session);
    return 0;
  }
  if (options.outputDir.empty())
    return fail("--output-dir is required (see --help)");
  if (options.graph &&
      session.package().manifest.target.kind != TargetKind::Cuda)
    return fail(session.package().path +
                ": --graph needs a cuda package; this one targets cpu");
  if (Error err = bindInputs(session, options.inputs))
    return fail(err.message());
  if (Error err = prepareOutputDir(options.outputDir, session.kernel()))
    return fail(err.message());

  std::vector<double> seconds;
  RunOptions runOptions;
  runOptions.repeat = options.repeat;
  runOptions.graph = options.graph;
  if (Error err = session.run(runOptions, &seconds))
    return fail(err.message());

  // The outputs appear together or not at all (OutputFiles.h).
  const KernelDesc &kernel = session.kernel();
  retc::run::NpyOutputSet outputs;
  for (const TensorParam &param : kernel.params) {
    if (param.role != ParamRole::Output)
      continue;
    Expected<std::vector<float>> data = session.getOutput(param.name);
    if (!data)
      return fail(data.message());
    size_t nans = std::count_if(data->begin(), data->end(),
                                [](float x) { return std::isnan(x); });
    if (nans)
      std::fprintf(stderr,
                   "retc-run: warning: output '%s' has %zu NaN values "
                   "(of %zu)\n",
                   param.name.c_str(), nans, data->size());
    if (Error err = outputs.add(outputPath(options.outputDir, param.name),
                                param.shape, data->data()))
      return fail(err.message());
  }
  if (Error err = outputs.commit())
    return fail(err.message());
  if (options.repeat > 1)
    printTimes(session, options, seconds);
  return 0;
}

/// A CLI11 validator for an integer flag: a decimal integer in [min, max],
/// written plainly (an optional '-', then digits without a leading zero).
/// CLI11's own conversion also takes 0x10 and octal 010 and clamps values
/// past the type's range (--seed 2^64 became 2^64 - 1, --seed -1 wrapped),
/// so it sees only what this accepts. Out of range: "Value X not in range
/// MIN to MAX", as CLI::Range says it.
CLI::Validator decimalInteger(int64_t min, uint64_t max) {
  std::string range = std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [=](std::string &text) -> std::string {
        bool negative = !text.empty() && text[0] == '-';
        std::string digits = text.substr(negative);
        if (digits.empty() ||
            digits.find_first_not_of("0123456789") != std::string::npos)
          return "'" + text + "' is not a decimal integer";
        if (digits.size() > 1 && digits[0] == '0')
          return "'" + text + "' has a leading zero; write the decimal " +
                 "value without it";
        uint64_t magnitude = 0;
        bool overflow = false;
        for (char c : digits)
          overflow = overflow ||
                     __builtin_mul_overflow(magnitude, 10, &magnitude) ||
                     __builtin_add_overflow(magnitude, uint64_t(c - '0'),
                                            &magnitude);
        bool inRange;
        if (overflow)
          inRange = false;
        else if (!negative || magnitude == 0)
          inRange = magnitude <= max && (min <= 0 || magnitude >= uint64_t(min));
        else // -magnitude >= min, computed without overflow
          inRange = min < 0 && magnitude - 1 <= uint64_t(-(min + 1));
        if (!inRange)
          return "Value " + text + " not in range " + range;
        return std::string();
      },
      (min < 0 ? "INT in [" : "UINT in [") + range + "]");
}

/// A CLI11 validator for a number flag: decimal notation (digits, an
/// optional fraction and exponent) whose value a double holds; CLI11 alone
/// takes hexadecimal floats and reads 1e-400 as 0.
CLI::Validator decimalNumber() {
  return CLI::Validator(
      [](std::string &text) -> std::string {
        if (text.empty())
          return "'' is not a decimal number";
        size_t i = text[0] == '-' || text[0] == '+';
        size_t mantissa = text.find_first_not_of("0123456789.", i);
        std::string body = text.substr(i, mantissa - i);
        bool exponentOk = true;
        if (mantissa != std::string::npos) {
          size_t e = mantissa + 1;
          if (text[mantissa] != 'e' && text[mantissa] != 'E')
            exponentOk = false;
          else if (e < text.size() && (text[e] == '-' || text[e] == '+'))
            ++e;
          exponentOk = exponentOk && e < text.size() &&
                       text.find_first_not_of("0123456789", e) ==
                           std::string::npos;
        }
        if (body.empty() || body == "." ||
            body.find('.') != body.rfind('.') || !exponentOk)
          return "'" + text + "' is not a decimal number";
        errno = 0;
        double value = std::strtod(text.c_str(), nullptr);
        if (errno == ERANGE && std::isinf(value))
          return "'" + text + "' is too large for a double";
        if (value == 0.0 && body.find_first_of("123456789") != std::string::npos)
          return "'" + text + "' is too small for a double (it would be 0)";
        return std::string();
      },
      "FLOAT");
}

} // namespace

int main(int argc, char **argv) {
  // A write past the file-size limit (ulimit -f) fails with EFBIG and is
  // reported, the temporaries removed, instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  Options options;
  CLI::App app("retc-run: run a kernel of a retc package on .npy arrays and "
               "write its outputs as .npy files.",
               "retc-run");
  app.add_option("package", options.package, "The package (.retpkg) to run")
      ->required();
  app.add_option("-i,--input", options.inputs,
                 "NAME=FILE.npy: the array for input parameter NAME "
                 "(repeatable; one per input)")
      ->type_name("NAME=FILE");
  app.add_option("-o,--output-dir", options.outputDir,
                 "Directory for the outputs, one DIR/<name>.npy (float32) "
                 "per output parameter; created if missing")
      ->type_name("DIR");
  app.add_option("--kernel", options.kernel,
                 "The kernel to run, by manifest name (default: the "
                 "package's only kernel)")
      ->type_name("NAME");
  app.add_option("--repeat", options.repeat,
                 "Run the kernel N times and print the median, min and max "
                 "time (outputs come from the last run)")
      ->type_name("N")
      ->check(decimalInteger(1, 1000000));
  app.add_option("--device", options.device,
                 "cuda packages (kernels or a model): the GPU to run on "
                 "(default: $RETC_DEVICE, else 0); ignored for cpu packages")
      ->type_name("N")
      ->check(decimalInteger(0, 1 << 20));
  app.add_flag("--graph", options.graph,
               "cuda packages: capture one launch in a CUDA graph and "
               "replay it; with --repeat, time the replays");
  app.add_flag("--describe", options.describe,
               "Print the target, the kernel's parameters and launch "
               "configuration, then exit");
  ModelOptions &model = options.model;
  app.add_flag("--report-memory", model.reportMemory,
               "Model packages: print what the model takes in memory (the "
               "weights; on a GPU the compiler-planned activation arena and "
               "the call's buffers, all allocated at load; each sequence's "
               "state), then exit; needs no weights and no GPU");
  CLI::Option *weights =
      app.add_option("--weights", model.weights,
                     "Model packages: the safetensors checkpoint")
          ->type_name("FILE");
  CLI::Option *tokens =
      app.add_option("--tokens", model.tokens,
                     "Model packages: the input token ids, e.g. 5,17,3, or "
                     "@FILE: a file holding them")
          ->type_name("IDS");
  CLI::Option *logits =
      app.add_option("--logits", model.logits,
                     "Model packages: write float32 [T, vocab] logits, one "
                     "row per input position, to this .npy file")
          ->type_name("OUT.npy");
  CLI::Option *decodeFrom =
      app.add_option("--decode-from", model.decodeFrom,
                     "With --logits: positions < P by prefill, the rest by "
                     "decode (P in [1, T]); default: all by forward")
          ->type_name("P")
          ->check(decimalInteger(INT64_MIN, INT64_MAX));
  CLI::Option *generate =
      app.add_option("--generate", model.generate,
                     "Model packages: prefill the tokens, then generate N "
                     "tokens and print them with the throughput (greedy on "
                     "a GPU package: chosen on the device, decode replayed "
                     "as one CUDA graph)")
          ->type_name("N")
          ->check(decimalInteger(1, uint64_t(1) << 30));
  CLI::Option *batch =
      app.add_option("--batch", model.batch,
                     "Model packages compiled with --max-batch: run a "
                     "schedule of sequences decoded together, one 'JOIN: "
                     "PROMPT | FED' a line (docs/retc-run.md, \"Batches\"), "
                     "the prompts joining at one step prefilled together; "
                     "--logits receives each sequence's prompt's last logits "
                     "and the logits after each of its FED tokens")
          ->type_name("SCHEDULE");
  CLI::Option *temperature =
      app.add_option("--temperature", model.temperature,
                     "With --generate: 0 (default) is greedy; > 0 samples "
                     "from softmax(logits / T)")
          ->type_name("T")
          ->check(decimalNumber());
  CLI::Option *topK =
      app.add_option("--top-k", model.topK,
                     "With --generate: sample among the K largest logits "
                     "(0, the default: all)")
          ->type_name("K")
          ->check(decimalInteger(0, uint64_t(1) << 31));
  CLI::Option *seed = app.add_option("--seed", model.seed,
                                     "With --generate: the sampler's seed "
                                     "(std::mt19937_64; default 0)")
                          ->type_name("S")
                          ->check(decimalInteger(0, UINT64_MAX));
  app.set_version_flag("--version", "retc-run 0.1.0 (package format version " +
                                        std::to_string(RETC_PACKAGE_VERSION) +
                                        ")");
  app.footer(kFooter);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    return fail(what + " (see --help)");
  }
  model.hasWeights = weights->count();
  model.hasTokens = tokens->count();
  model.hasLogits = logits->count();
  model.hasDecodeFrom = decodeFrom->count();
  model.hasGenerate = generate->count();
  model.hasTemperature = temperature->count();
  model.hasTopK = topK->count();
  model.hasSeed = seed->count();
  model.hasBatch = batch->count();
  // --device applies to cuda kernel and model packages alike.
  for (const char *flag : {"--input", "--output-dir", "--kernel", "--repeat",
                           "--graph"})
    if (app.count(flag))
      options.kernelFlags.push_back(flag);
  return runTool(options);
}
