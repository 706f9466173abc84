//===- ModelCommands.cpp - retc-run on a model package ----------*- C++ -*-===//
//
// See ModelCommands.h. Order of checks: flags and token syntax (before the
// package is read), then the package's vocabulary against the tokens, then
// the checkpoint and the code (Model::open), then the runs.
//
//===----------------------------------------------------------------------===//
#include "tools/retc-run/ModelCommands.h"
#include "tools/retc-run/BatchCommand.h"
#include "tools/retc-run/OutputFiles.h"

#include "runtime/FileIO.h"
#include "runtime/model/Model.h"
#include "runtime/model/ModelMemory.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>

namespace retc::run {

using namespace retc::rt;

int fail(const std::string &message) {
  size_t start = 0;
  do {
    size_t end = message.find('\n', start);
    std::string line = message.substr(
        start, end == std::string::npos ? std::string::npos : end - start);
    std::fprintf(stderr, "retc-run: error: %s\n", line.c_str());
    start = end == std::string::npos ? end : end + 1;
  } while (start != std::string::npos);
  return 1;
}

const char *ModelOptions::firstGiven() const {
  std::pair<bool, const char *> flags[] = {
      {hasWeights, "--weights"},   {hasTokens, "--tokens"},
      {hasLogits, "--logits"},     {hasDecodeFrom, "--decode-from"},
      {hasGenerate, "--generate"}, {hasTemperature, "--temperature"},
      {hasTopK, "--top-k"},        {hasSeed, "--seed"},
      {hasBatch, "--batch"},       {reportMemory, "--report-memory"}};
  for (auto [given, name] : flags)
    if (given)
      return name;
  return nullptr;
}

Error readTokensFile(ModelOptions &options) {
  if (!options.hasTokens || options.tokens.empty() || options.tokens[0] != '@')
    return Error::success();
  std::string path = options.tokens.substr(1);
  if (path.empty())
    return Error::failure("--tokens @FILE: no file name after '@'");
  std::vector<uint8_t> bytes;
  if (Error err = readWholeFile(path, bytes))
    return Error::failure("--tokens @FILE: " + err.message());
  std::string text(bytes.begin(), bytes.end());
  const char *space = " \t\r\n";
  size_t first = text.find_first_not_of(space);
  size_t last = text.find_last_not_of(space);
  options.tokens =
      first == std::string::npos ? "" : text.substr(first, last - first + 1);
  return Error::success();
}

Error checkModelFlags(const ModelOptions &o) {
  if (o.hasBatch) {
    for (auto [given, name] : {std::make_pair(o.hasTokens, "--tokens"),
                               std::make_pair(o.hasGenerate, "--generate"),
                               std::make_pair(o.hasDecodeFrom, "--decode-from")})
      if (given)
        return Error::failure(std::string("conflicting flags: --batch and ") +
                              name + " (the schedule gives every sequence's "
                                     "tokens)");
    if (!o.hasLogits)
      return Error::failure("--batch needs --logits OUT.npy");
  }
  if (o.hasLogits && o.hasGenerate)
    return Error::failure("conflicting flags: --logits and --generate (write "
                          "logits or generate tokens, not both)");
  if (o.hasDecodeFrom && !o.hasLogits)
    return Error::failure("--decode-from needs --logits");
  for (auto [given, name] : {std::make_pair(o.hasTemperature, "--temperature"),
                             std::make_pair(o.hasTopK, "--top-k"),
                             std::make_pair(o.hasSeed, "--seed")})
    if (given && !o.hasGenerate)
      return Error::failure(std::string(name) + " needs --generate");
  if (o.hasTemperature &&
      !(std::isfinite(o.temperature) && o.temperature >= 0.0))
    return Error::failure("--temperature must be a finite number >= 0");
  // At temperature 0 (the default) generation is greedy and draws nothing:
  // a top-k or a seed would be ignored, so they are refused.
  for (auto [given, name] : {std::make_pair(o.hasTopK, "--top-k"),
                             std::make_pair(o.hasSeed, "--seed")})
    if (given && !(o.temperature > 0.0))
      return Error::failure(std::string(name) +
                            " needs --temperature > 0 (at temperature 0, the "
                            "default, generation is greedy and samples "
                            "nothing)");
  if (o.hasTokens) {
    Expected<std::vector<int64_t>> tokens = parseTokens(o.tokens);
    if (!tokens)
      return tokens.error();
    int64_t count = static_cast<int64_t>(tokens->size());
    if (o.hasDecodeFrom && (o.decodeFrom < 1 || o.decodeFrom > count))
      return Error::failure("--decode-from=" + std::to_string(o.decodeFrom) +
                            " is outside [1, " + std::to_string(count) +
                            "] (the number of tokens)");
  }
  return Error::success();
}

namespace {

/// Prints the model's description (--describe).
void describeModel(const Package &package) {
  const ModelManifest &model = *package.manifest.model;
  const ModelConfigDesc &c = model.config;
  std::printf("package: %s (producer: %s)\n", package.path.c_str(),
              package.manifest.producer.c_str());
  const TargetDesc &target = package.manifest.target;
  if (target.kind == TargetKind::Cuda && model.hostTarget)
    std::printf("target: cuda %s (host program: cpu %s %s)\n",
                target.arch.c_str(), model.hostTarget->triple.c_str(),
                model.hostTarget->cpu.c_str());
  else
    std::printf("target: cpu %s %s\n", target.triple.c_str(),
                target.cpu.c_str());
  std::printf(
      "model: %s layers=%lld hidden=%lld heads=%lld kv_heads=%lld "
      "head_k_dim=%lld head_v_dim=%lld ffn=%lld vocab=%lld "
      "output_gate=%s tied=%s\n",
      c.name.empty() ? "(unnamed)" : c.name.c_str(), (long long)c.numLayers,
      (long long)c.hiddenSize, (long long)c.numHeads,
      (long long)c.numKVHeads, (long long)c.headKDim, (long long)c.headVDim,
      (long long)c.intermediateSize, (long long)c.vocabSize,
      c.useOutputGate ? "yes" : "no", c.tieWordEmbeddings ? "yes" : "no");
  // Columns as wide as the longest name and symbol (at least 8 and 20).
  int nameWidth = 8, symbolWidth = 20;
  for (const ModelEntryDesc &entry : model.entries) {
    nameWidth = std::max(nameWidth, int(entry.name.size()));
    symbolWidth = std::max(symbolWidth, int(entry.symbol.size()));
  }
  for (const ModelEntryDesc &entry : model.entries) {
    std::printf("  entry  %-*s %-*s %s", nameWidth, entry.name.c_str(),
                symbolWidth, entry.symbol.c_str(), formName(entry.form));
    if (entry.chunkSize)
      std::printf(" chunk=%lld", (long long)*entry.chunkSize);
    std::printf("\n");
  }
  std::printf("  state  %s %s\n", dtypeName(model.stateDType),
              formatShape(model.stateShape).c_str());
  if (model.maxBatch > 0) {
    std::vector<int64_t> pool = model.stateShape;
    pool.insert(pool.begin() + 1, model.maxBatch);
    std::printf("  batch  max_batch=%lld pool %s\n", (long long)model.maxBatch,
                formatShape(pool).c_str());
  }
  for (const WeightDesc &weight : model.weights)
    std::printf("  weight %s %s %s\n", weight.name.c_str(),
                dtypeName(weight.dtype), formatShape(weight.shape).c_str());
  if (target.kind != TargetKind::Cuda)
    return;
  std::printf("  calls  max_tokens=%lld arena_bytes=%lld kernels=%s\n",
              (long long)model.maxTokens, (long long)model.arenaBytes,
              model.kernelsBlob.c_str());
  for (const ModelKernelDesc &kernel : model.kernels)
    std::printf("  kernel %s shared_bytes=%lld\n", kernel.entry.c_str(),
                (long long)kernel.sharedBytes);
}

/// Prints what the model takes in memory (--report-memory): ModelMemory.h.
int reportMemory(const Package &package) {
  Expected<ModelMemory> plan = planModelMemory(package);
  if (!plan)
    return fail(plan.message());
  const ModelManifest &model = *package.manifest.model;
  bool cuda = package.manifest.target.kind == TargetKind::Cuda;
  auto line = [](const char *what, uint64_t bytes, const std::string &note) {
    std::printf("  %-8s %14llu bytes  %10s  %s\n", what,
                static_cast<unsigned long long>(bytes),
                formatBytes(bytes).c_str(), note.c_str());
  };
  std::printf("memory of %s (%s):\n", package.path.c_str(),
              cuda ? ("device memory, " + package.manifest.target.arch).c_str()
                   : "host memory");
  std::vector<std::string> types;
  for (const WeightDesc &weight : model.weights)
    if (std::find(types.begin(), types.end(), dtypeName(weight.dtype)) ==
        types.end())
      types.push_back(dtypeName(weight.dtype));
  std::string weightTypes;
  for (const std::string &type : types)
    weightTypes += (weightTypes.empty() ? "" : ", ") + type;
  line("weights", plan->weightBytes,
       std::to_string(model.weights.size()) + " tensors (" + weightTypes +
           (cuda ? "), one allocation at load" : "), as bound at load"));
  if (cuda) {
    line("arena", plan->arenaBytes,
         "activations, planned by the compiler for " +
             std::to_string(std::max(model.maxTokens, model.maxBatch)) +
             (model.maxBatch > model.maxTokens ? " sequences (max_batch)"
                                               : " tokens") +
             " a call");
    std::string rows = model.maxBatch > model.maxTokens
                           ? "max_batch" : "max_tokens";
    line("tokens", plan->tokenBytes, "one call's input ids");
    line("logits", plan->logitBytes,
         "one call's logits (" + rows + " x vocab)");
    line("position", plan->positionBytes,
         model.maxBatch > 0 ? "decode's positions (max_batch), advanced on "
                              "the device"
                            : "decode's position, advanced on the device");
    line("total", plan->loadBytes(),
         "allocated at load; nothing inside a call");
  }
  line("state", plan->stateBytes,
       "each sequence, f32 " + formatShape(model.stateShape) +
           (cuda ? ", on the device from its first call" : ""));
  if (plan->batchBytes > 0)
    line("batch", plan->batchBytes,
         "each batch, " + std::to_string(model.maxBatch) +
             " state slots (max_batch) for decode_batch" +
             (cuda ? ", on the device" : ""));
  if (!cuda)
    std::printf("  (the generated CPU code allocates its activations in "
                "each call)\n");
  return 0;
}

/// Samples from softmax(logits / temperature) over the `topK` largest logits
/// (all when 0; ties ordered by index). Deterministic for a given generator
/// state: the uniform draw is built from the generator's 53 top bits.
int64_t sample(const float *logits, int64_t vocab, double temperature,
               int64_t topK, std::mt19937_64 &rng) {
  std::vector<int64_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = 0; i < vocab; ++i)
    if (std::isnan(logits[i]))
      return -1;
  size_t keep = topK > 0 && topK < vocab ? static_cast<size_t>(topK)
                                         : static_cast<size_t>(vocab);
  auto byLogit = [&](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + keep, order.end(), byLogit);
  order.resize(keep);
  double top = logits[order[0]];
  std::vector<double> weights;
  double total = 0.0;
  for (int64_t index : order) {
    // An infinite largest logit takes all the weight, shared by the logits
    // equal to it (the limit of the softmax; inf - inf would be NaN).
    double w = std::isinf(top) ? double(logits[index] == top)
                               : std::exp((logits[index] - top) / temperature);
    weights.push_back(w);
    total += w;
  }
  double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * total;
  double cumulative = 0.0;
  for (size_t i = 0; i < order.size(); ++i) {
    cumulative += weights[i];
    if (u < cumulative)
      return order[i];
  }
  return order.back();
}

/// Writes one row of logits per input position to `options.logits`.
int writeLogits(Model &model, const std::vector<int32_t> &tokens,
                const ModelOptions &options) {
  int64_t vocab = model.vocabSize();
  size_t count = tokens.size();
  // [count, vocab] floats in host memory: refused up front if the machine
  // cannot hold them.
  uint64_t bytes = static_cast<uint64_t>(count) *
                   static_cast<uint64_t>(vocab) * sizeof(float);
  if (Error err = checkHostMemory(bytes, "the logits of " +
                                             std::to_string(count) +
                                             " tokens"))
    return fail(model.package().path + ": --logits: " + err.message());
  std::vector<float> logits(count * static_cast<size_t>(vocab));
  SequenceState state = model.newState();
  if (options.hasDecodeFrom) {
    size_t prefix = static_cast<size_t>(options.decodeFrom);
    if (Error err =
            model.prefill(state, tokens.data(), prefix, logits.data(), true))
      return fail(err.message());
    for (size_t i = prefix; i < count; ++i)
      if (Error err = model.decode(state, tokens[i], logits.data() + i * vocab))
        return fail(err.message());
  } else if (Error err = model.logitsOfAll(state, tokens.data(), count,
                                           logits.data())) {
    return fail(err.message());
  }
  size_t nans = std::count_if(logits.begin(), logits.end(),
                              [](float x) { return std::isnan(x); });
  size_t infinities = std::count_if(logits.begin(), logits.end(),
                                    [](float x) { return std::isinf(x); });
  if (nans)
    std::fprintf(stderr,
                 "retc-run: warning: the logits have %zu NaN values (of "
                 "%zu)\n",
                 nans, logits.size());
  if (infinities)
    std::fprintf(stderr,
                 "retc-run: warning: the logits have %zu infinite values (of "
                 "%zu)\n",
                 infinities, logits.size());
  // Through a temporary, so that a failed write leaves no partial file.
  NpyOutputSet output;
  if (Error err = output.add(options.logits,
                             {static_cast<int64_t>(count), vocab},
                             logits.data()))
    return fail(err.message());
  if (Error err = output.commit())
    return fail(err.message());
  return 0;
}

/// Prefills the prompt, then generates `options.generate` tokens.
int generate(Model &model, const std::vector<int32_t> &prompt,
             const ModelOptions &options) {
  using Clock = std::chrono::steady_clock;
  int64_t vocab = model.vocabSize();
  std::vector<float> logits(static_cast<size_t>(vocab));
  SequenceState state = model.newState();
  std::mt19937_64 rng(options.seed);

  auto start = Clock::now();
  if (Error err = model.prefill(state, prompt, logits.data(), false))
    return fail(err.message());
  double prefillSeconds =
      std::chrono::duration<double>(Clock::now() - start).count();

  // Each token is printed and flushed as soon as it is picked, so that a
  // long generation shows its tokens as they come; a failure ends the line
  // of the tokens printed so far before its message.
  std::vector<int32_t> produced;
  auto stopWith = [&](const std::string &message) {
    if (!produced.empty()) {
      std::printf("\n");
      std::fflush(stdout);
    }
    return fail(message);
  };
  double decodeSeconds = 0.0;
  // Greedy on a GPU: the first token from the prompt's logits, the rest by
  // Model::generateGreedy (decode replayed as one CUDA graph, each token
  // chosen on the device), printed together at the end.
  bool onDevice = options.temperature <= 0.0 && model.choosesTokens();
  if (onDevice) {
    int64_t first = greedyToken(logits.data(), vocab);
    if (first < 0)
      return fail(model.package().path +
                  ": the model produced NaN logits at generation step 0");
    produced.assign(static_cast<size_t>(options.generate), 0);
    produced[0] = static_cast<int32_t>(first);
    start = Clock::now();
    if (Error err = model.generateGreedy(
            state, produced[0], produced.size() - 1, produced.data() + 1,
            logits.data()))
      return fail(err.message());
    decodeSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("tokens:");
    for (int32_t token : produced)
      std::printf(" %d", static_cast<int>(token));
    std::printf("\n");
    if (std::any_of(logits.begin(), logits.end(),
                    [](float x) { return std::isinf(x); }))
      std::fprintf(stderr, "retc-run: warning: the last generation step's "
                           "logits had infinite values\n");
  }
  // Otherwise one decode call a step, each token chosen here and printed
  // as soon as it is.
  int64_t infiniteSteps = 0, firstInfiniteStep = -1;
  for (int64_t step = 0; !onDevice && step < options.generate; ++step) {
    if (std::any_of(logits.begin(), logits.end(),
                    [](float x) { return std::isinf(x); })) {
      if (!infiniteSteps++)
        firstInfiniteStep = step;
    }
    int64_t next = options.temperature > 0.0
                       ? sample(logits.data(), vocab, options.temperature,
                                options.topK, rng)
                       : greedyToken(logits.data(), vocab);
    if (next < 0)
      return stopWith(model.package().path +
                      ": the model produced NaN logits at generation step " +
                      std::to_string(step));
    produced.push_back(static_cast<int32_t>(next));
    std::printf(produced.size() == 1 ? "tokens: %d" : " %d",
                static_cast<int>(next));
    std::fflush(stdout);
    if (step + 1 == options.generate)
      break;
    start = Clock::now();
    if (Error err = model.decode(state, produced.back(), logits.data()))
      return stopWith(err.message());
    decodeSeconds +=
        std::chrono::duration<double>(Clock::now() - start).count();
  }
  if (!onDevice)
    std::printf("\n");
  if (infiniteSteps)
    std::fprintf(stderr,
                 "retc-run: warning: the logits had infinite values at %lld "
                 "of %lld generation steps (the first at step %lld)\n",
                 (long long)infiniteSteps, (long long)options.generate,
                 (long long)firstInfiniteStep);
  size_t decoded = produced.size() - 1;
  std::printf("prefill: %zu tokens in %.3f ms (%.1f tokens/s); ", prompt.size(),
              prefillSeconds * 1e3, prompt.size() / prefillSeconds);
  if (decoded)
    std::printf("decode: %zu tokens in %.3f ms (%.1f tokens/s)\n", decoded,
                decodeSeconds * 1e3, decoded / decodeSeconds);
  else
    std::printf("decode: 0 tokens\n");
  return 0;
}

} // namespace

int runModelCommand(const Package &package, const ModelOptions &options,
                    int device, bool describe) {
  const std::string &path = package.path;
  if (options.reportMemory) {
    // It reads the manifest only: a flag for a run would be ignored.
    ModelOptions others = options;
    others.reportMemory = false;
    if (describe)
      return fail(path + ": give --report-memory or --describe, not both");
    if (const char *flag = others.firstGiven())
      return fail(path + ": --report-memory takes no " + flag +
                  " (it runs nothing)");
    return reportMemory(package);
  }
  if (describe) {
    describeModel(package);
    return 0;
  }
  if (!options.hasWeights)
    return fail(path + ": a model package needs --weights FILE.safetensors "
                       "(see --help)");
  ModelOpenOptions open;
  open.device = device;
  if (options.hasBatch)
    return runBatchSchedule(package, options.weights, open, options.batch,
                            options.logits);
  if (!options.hasTokens)
    return fail(path + ": a model package needs --tokens IDS (see --help)");
  if (!options.hasLogits && !options.hasGenerate)
    return fail(path + ": a model package needs --logits OUT.npy or "
                       "--generate N (see --help)");

  Expected<std::vector<int64_t>> parsed = parseTokens(options.tokens);
  if (!parsed)
    return fail(parsed.message());
  int64_t vocab = package.manifest.model->config.vocabSize;
  std::vector<int32_t> tokens;
  for (size_t i = 0; i < parsed->size(); ++i) {
    int64_t token = (*parsed)[i];
    if (token < 0 || token >= vocab)
      return fail(path + ": --tokens: token " + std::to_string(i) + " is " +
                  std::to_string(token) + ", outside the vocabulary [0, " +
                  std::to_string(vocab) + ")");
    tokens.push_back(static_cast<int32_t>(token));
  }

  Expected<std::unique_ptr<Model>> model =
      Model::open(path, options.weights, open);
  if (!model)
    return fail(model.message());
  if (options.hasLogits)
    return writeLogits(**model, tokens, options);
  return generate(**model, tokens, options);
}

} // namespace retc::run
