//===- retc-decode-loop.cpp - A decode kernel over many steps ---*- C++ -*-===//
//
// Runs a package's one-token kernel (T = 1, with an initial state s0) once
// per token of a sequence, each step's final state the next step's s0, all
// in one process (a retc-run per step would start a process and read the
// package every time; `--repeat` runs the same inputs again):
//   retc-decode-loop K.retpkg --input q=Q.npy --input k=K.npy --input v=V.npy
//                    --input s0=S0.npy --output-dir DIR [--device N] [--graph]
// q and k are [B, N, H, K], v is [B, N, H, V]: the N steps' tokens; s0 is
// [B, H, K, V]. Writes DIR/o.npy [B, N, H, V] (step t's output in row t)
// and DIR/state.npy (the state after the last step), float32, and prints
// the steps' time. It runs CPU and CUDA packages alike (through Session,
// docs/runtime.md); docs/testing.md, "Long runs", uses it for 100,000
// steps. Errors: one line `retc-decode-loop: error: ...`, exit status 1.
//
//===----------------------------------------------------------------------===//
#include "runtime/Npy.h"
#include "runtime/Runtime.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace retc::rt;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "retc-decode-loop: error: %s\n", message.c_str());
  return 1;
}

struct Options {
  std::string package;
  std::vector<std::string> inputs;
  std::string outputDir;
  int device = -1;
  bool graph = false;
};

/// The four arrays, read from the --input NAME=FILE pairs and checked
/// against the kernel: q, k [B, N, H, K], v [B, N, H, V], s0 [B, H, K, V].
struct Sequence {
  std::map<std::string, NpyArray> arrays;
  int64_t steps = 0;
};

Expected<Sequence> readSequence(const Session &session,
                                const std::vector<std::string> &specs) {
  const RetentionShape &s = session.kernel().shape;
  Sequence seq;
  std::map<std::string, std::string> files;
  for (const std::string &spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return Error::failure("--input '" + spec + "': expected NAME=FILE.npy");
    std::string name = spec.substr(0, eq);
    if (name != "q" && name != "k" && name != "v" && name != "s0")
      return Error::failure("--input '" + spec + "': the inputs are q, k, v "
                                                  "and s0");
    if (!files.emplace(name, spec.substr(eq + 1)).second)
      return Error::failure("--input " + name + " given twice");
  }
  for (const char *name : {"q", "k", "v", "s0"}) {
    auto file = files.find(name);
    if (file == files.end())
      return Error::failure(std::string("missing --input ") + name +
                            "=FILE.npy");
    Expected<NpyArray> array = readNpy(file->second);
    if (!array)
      return array.error();
    seq.arrays[name] = std::move(*array);
  }
  // q gives N, the number of steps; the other shapes follow.
  const std::vector<int64_t> &qShape = seq.arrays["q"].shape;
  if (qShape.size() != 4 || qShape[0] != s.B || qShape[1] < 1 ||
      qShape[2] != s.H || qShape[3] != s.K)
    return Error::atFile(files["q"],
                         "shape " + formatShape(qShape) + " for input 'q'; " +
                             "the kernel's shape needs [" +
                             std::to_string(s.B) + ",N," + std::to_string(s.H) +
                             "," + std::to_string(s.K) + "] (N >= 1 steps)");
  seq.steps = qShape[1];
  std::map<std::string, std::vector<int64_t>> want = {
      {"q", {s.B, seq.steps, s.H, s.K}},
      {"k", {s.B, seq.steps, s.H, s.K}},
      {"v", {s.B, seq.steps, s.H, s.V}},
      {"s0", {s.B, s.H, s.K, s.V}}};
  for (const auto &[name, shape] : want)
    if (seq.arrays[name].shape != shape)
      return Error::atFile(files[name],
                           "shape " + formatShape(seq.arrays[name].shape) +
                               " for input '" + name + "'; expected " +
                               formatShape(shape) + " (N = " +
                               std::to_string(seq.steps) + " steps, from q)");
  return seq;
}

/// Step `t`'s rows of `seq` ([B, N, H, W]) into `step` ([B, 1, H, W]).
void gatherStep(const std::vector<float> &seq, int64_t batch, int64_t steps,
                int64_t row, int64_t t, std::vector<float> &step) {
  for (int64_t b = 0; b < batch; ++b)
    std::copy_n(seq.begin() + (b * steps + t) * row, row,
                step.begin() + b * row);
}

int runLoop(const Options &options) {
  SessionOptions sessionOptions;
  sessionOptions.device = options.device;
  Expected<std::unique_ptr<Session>> opened =
      Session::open(options.package, sessionOptions);
  if (!opened)
    return fail(opened.message());
  Session &session = **opened;
  const KernelDesc &kernel = session.kernel();
  const RetentionShape &s = kernel.shape;
  const TensorParam *s0 = kernel.findParam("s0");
  if (s.T != 1 || !s0 || s0->role != ParamRole::Input)
    return fail(options.package + ": kernel '" + kernel.name + "' has T = " +
                std::to_string(s.T) + (s0 ? "" : " and no initial state") +
                "; a decode loop needs T = 1 and an initial state s0 "
                "(retc --shape=B,1,H,K,V --initial-state)");
  bool cuda = session.package().manifest.target.kind == TargetKind::Cuda;
  if (options.graph && !cuda)
    return fail(options.package + ": --graph needs a cuda package");
  Expected<Sequence> seq = readSequence(session, options.inputs);
  if (!seq)
    return fail(seq.message());
  std::error_code ec;
  std::filesystem::create_directories(options.outputDir, ec);
  if (ec)
    return fail(options.outputDir + ": cannot create: " + ec.message());
  if (Error err = session.load())
    return fail(err.message());

  int64_t N = seq->steps, rowK = s.H * s.K, rowV = s.H * s.V;
  std::vector<float> q(s.B * rowK), k(s.B * rowK), v(s.B * rowV);
  std::vector<float> o(s.B * N * rowV);
  std::vector<float> state = seq->arrays["s0"].data;
  std::vector<int64_t> qkShape = {s.B, 1, s.H, s.K}, vShape = {s.B, 1, s.H, s.V};
  RunOptions run;
  run.graph = options.graph;
  std::vector<double> kernelSeconds, seconds;
  auto start = std::chrono::steady_clock::now();
  for (int64_t t = 0; t < N; ++t) {
    gatherStep(seq->arrays["q"].data, s.B, N, rowK, t, q);
    gatherStep(seq->arrays["k"].data, s.B, N, rowK, t, k);
    gatherStep(seq->arrays["v"].data, s.B, N, rowV, t, v);
    if (Error err = session.setInput("q", qkShape, q.data()))
      return fail(err.message());
    if (Error err = session.setInput("k", qkShape, k.data()))
      return fail(err.message());
    if (Error err = session.setInput("v", vShape, v.data()))
      return fail(err.message());
    if (Error err = session.setInput("s0", s0->shape, state.data()))
      return fail(err.message());
    seconds.clear();
    if (Error err = session.run(run, &seconds))
      return fail("step " + std::to_string(t) + ": " + err.message());
    kernelSeconds.push_back(seconds.back());
    Expected<std::vector<float>> out = session.getOutput("o");
    if (!out)
      return fail(out.message());
    for (int64_t b = 0; b < s.B; ++b)
      std::copy_n(out->begin() + b * rowV, rowV,
                  o.begin() + (b * N + t) * rowV);
    Expected<std::vector<float>> next = session.getOutput("state");
    if (!next)
      return fail(next.message());
    state = std::move(*next);
  }
  double total = std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - start)
                     .count();

  namespace fs = std::filesystem;
  if (Error err = writeNpy((fs::path(options.outputDir) / "o.npy").string(),
                           {s.B, N, s.H, s.V}, o.data()))
    return fail(err.message());
  if (Error err =
          writeNpy((fs::path(options.outputDir) / "state.npy").string(),
                   s0->shape, state.data()))
    return fail(err.message());
  std::sort(kernelSeconds.begin(), kernelSeconds.end());
  std::printf("retc-decode-loop: %lld steps on %s in %.3f s (%.2f us a step "
              "in all; the kernel's own median %.2f us%s)\n",
              (long long)N, session.where().c_str(), total, total / N * 1e6,
              kernelSeconds[kernelSeconds.size() / 2] * 1e6,
              cuda ? (options.graph ? ", graph replays, CUDA events"
                                    : ", launches, CUDA events")
                   : ", wall time");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  CLI::App app("retc-decode-loop: run a one-token retention kernel (T = 1, "
               "initial state) once per token of a sequence, each step's "
               "state the next step's s0, and write every step's output.",
               "retc-decode-loop");
  app.add_option("package", options.package,
                 "The package: a kernel of shape B,1,H,K,V with an initial "
                 "state")
      ->required();
  app.add_option("-i,--input", options.inputs,
                 "q=Q.npy, k=K.npy [B,N,H,K], v=V.npy [B,N,H,V] (N steps) "
                 "and s0=S0.npy [B,H,K,V], each once")
      ->type_name("NAME=FILE");
  app.add_option("-o,--output-dir", options.outputDir,
                 "Where o.npy [B,N,H,V] and state.npy [B,H,K,V] go; "
                 "created if missing")
      ->type_name("DIR")
      ->required();
  app.add_option("--device", options.device,
                 "cuda packages: the GPU (default: $RETC_DEVICE, else 0)")
      ->type_name("N")
      ->check(CLI::Range(0, 1 << 20));
  app.add_flag("--graph", options.graph,
               "cuda packages: replay one captured launch at every step");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    return fail(what + " (see --help)");
  }
  return runLoop(options);
}
