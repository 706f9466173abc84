//===- ModelConfig.cpp - the resolved model description -------------------===//
//
// See ModelConfig.h. The invariants, the per-head decays, the canonical `.ret`
// printout, and the choice of reader for a path.
//
//===----------------------------------------------------------------------===//
#include "frontend/ModelConfig.h"
#include "frontend/HFConfig.h"
#include "frontend/RetLanguage.h"
#include "dialect/DecaySchedules.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <limits>
#include <cstdio>
#include <cstdlib>

using namespace retc::frontend;

llvm::StringRef retc::frontend::stringify(WeightType t) {
  switch (t) {
  case WeightType::F32:
    return "f32";
  case WeightType::BF16:
    return "bf16";
  case WeightType::F16:
    return "f16";
  }
  return "?";
}

llvm::StringRef retc::frontend::stringify(RotaryLayout l) {
  switch (l) {
  case RotaryLayout::RotateHalf:
    return "rotate_half";
  case RotaryLayout::Interleaved:
    return "interleaved";
  }
  return "?";
}

llvm::StringRef retc::frontend::stringify(DecaySchedule d) {
  switch (d) {
  case DecaySchedule::RetNet:
    return "retnet";
  case DecaySchedule::Paper:
    return "paper";
  case DecaySchedule::Explicit:
    return "explicit";
  }
  return "?";
}

std::optional<int64_t>
retc::frontend::deriveIntermediateSize(int64_t hiddenSize, double hiddenRatio) {
  // Python: int(hidden * ratio * 2 / 3), then 256 * ceil(x / 256).
  double width = std::trunc(double(hiddenSize) * hiddenRatio * 2.0 / 3.0);
  if (!(width <= double(int64_t(1) << 40)))
    return std::nullopt;
  int64_t w = int64_t(width);
  return 256 * ((w + 255) / 256);
}

std::optional<int64_t> retc::frontend::expandedWidth(int64_t hiddenSize,
                                                     double expand) {
  double width = double(hiddenSize) * expand;
  if (!std::isfinite(width) || width < 0 || width > 1e15)
    return std::nullopt;
  double rounded = std::round(width);
  if (std::fabs(width - rounded) >
      1e-9 * std::max(std::fabs(width), std::fabs(rounded)))
    return std::nullopt;
  return int64_t(rounded);
}

bool retc::frontend::isModelName(llvm::StringRef name) {
  if (name.empty() || !(llvm::isAlpha(name[0]) || name[0] == '_'))
    return false;
  return llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

std::string retc::frontend::shortestDouble(double value) {
  char text[64];
  // Integral values as integers (10000, not 1e+04).
  if (std::isfinite(value) && value == std::trunc(value) &&
      std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof(text), "%.0f", value);
    return text;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  // 1e-06 -> 1e-6, 1e+20 -> 1e20.
  std::string s = text;
  size_t e = s.find('e');
  if (e != std::string::npos) {
    std::string sign = s[e + 1] == '-' ? "-" : "";
    size_t digits = s.find_first_not_of("+-0", e + 1);
    s = s.substr(0, e + 1) + sign +
        (digits == std::string::npos ? "0" : s.substr(digits));
  }
  return s;
}

std::optional<std::string>
retc::frontend::normEpsProblem(double eps, llvm::StringRef name) {
  std::string given = "'" + name.str() + "' = " + shortestDouble(eps);
  if (eps > std::numeric_limits<float>::max())
    return given + " is not finite in f32, in which RMSNorm adds it to "
                   "mean(x^2); at most " +
           shortestDouble(kMaxNormEps) + " makes sense";
  if (eps > kMaxNormEps)
    return given + " is above " + shortestDouble(kMaxNormEps) +
           ": RMSNorm adds it to mean(x^2), which it would swamp";
  if (eps < kMinNormEps)
    return given + " is below 2^-126 (about 1.2e-38), the smallest normal "
                   "f32, in which RMSNorm adds it to mean(x^2)";
  return std::nullopt;
}

std::vector<double> ModelConfig::gammas() const {
  // The dialect's schedules (DecayAttr), so that a model and a kernel agree
  // on every gamma to the bit.
  switch (decay) {
  case DecaySchedule::RetNet: {
    auto g = mlir::retention::retnetGammas(numHeads);
    return {g.begin(), g.end()};
  }
  case DecaySchedule::Paper: {
    auto g = mlir::retention::paperGammas(numHeads);
    return {g.begin(), g.end()};
  }
  case DecaySchedule::Explicit:
    return decayValues;
  }
  llvm_unreachable("unknown decay schedule");
}

std::vector<ModelConfig::Problem> ModelConfig::problems() const {
  std::vector<Problem> out;
  auto add = [&](llvm::StringRef field, const llvm::Twine &message) {
    out.push_back({field.str(), message.str()});
  };
  auto size = [&](llvm::StringRef field, int64_t value, int64_t max) {
    if (value <= 0)
      add(field, "'" + field + "' must be positive, got " + llvm::Twine(value));
    else if (value > max)
      add(field, "'" + field + "' = " + llvm::Twine(value) +
                     " exceeds the supported maximum of " + llvm::Twine(max));
  };
  if (!isModelName(name))
    add("name", "model name '" + name +
                    "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
  size("hidden", hiddenSize, kMaxHiddenSize);
  size("layers", numLayers, kMaxLayers);
  size("heads", numHeads, kMaxHeads);
  size("kv_heads", numKVHeads, kMaxHeads);
  if (numHeads > 0 && numKVHeads > 0 && numHeads % numKVHeads != 0)
    add("kv_heads",
        "'heads' = " + llvm::Twine(numHeads) +
            " is not a multiple of 'kv_heads' = " + llvm::Twine(numKVHeads));
  size("key_dim", headKDim, kMaxHeadDim);
  if (headKDim > 0 && headKDim % 2 != 0)
    add("key_dim", "the head key dim (key_dim) is " + llvm::Twine(headKDim) +
                       "; rotary embeddings need an even head key dim");
  size("value_dim", headVDim, kMaxHeadDim);
  size("ffn.width", intermediateSize, kMaxIntermediateSize);
  size("vocab", vocabSize, kMaxVocabSize);
  if (!(normEps > 0.0) || !std::isfinite(normEps))
    add("norm.eps", "'norm.eps' must be positive and finite, got " +
                        shortestDouble(normEps));
  else if (std::optional<std::string> problem =
               normEpsProblem(normEps, "norm.eps"))
    add("norm.eps", *problem);
  if (!(rotaryBase > kMinRotaryBase) || !std::isfinite(rotaryBase))
    add("rotary.base", "'rotary.base' must be a finite number greater than " +
                           shortestDouble(kMinRotaryBase) + ", got " +
                           shortestDouble(rotaryBase));
  if (decay == DecaySchedule::Explicit) {
    if (int64_t(decayValues.size()) != numHeads)
      add("decay", "'decay' lists " + llvm::Twine(decayValues.size()) +
                       " values but the model has " + llvm::Twine(numHeads) +
                       " heads");
    for (auto [h, g] : llvm::enumerate(decayValues))
      if (!(g > 0.0 && g < 1.0))
        add("decay", "decay of head " + llvm::Twine(h) + " is " +
                         shortestDouble(g) +
                         ", expected a value strictly between 0 and 1");
  } else if (!decayValues.empty()) {
    add("decay", "decay schedule '" + stringify(decay) +
                     "' takes no explicit values, got " +
                     llvm::Twine(decayValues.size()));
  } else if (decay == DecaySchedule::RetNet &&
             numHeads > mlir::retention::kMaxRetNetHeads) {
    add("decay", "the retnet decay 1 - 2^(-5-h) is defined for at most " +
                     llvm::Twine(mlir::retention::kMaxRetNetHeads) +
                     " heads, and the model has " + llvm::Twine(numHeads) +
                     ": from head " +
                     llvm::Twine(mlir::retention::kMaxRetNetHeads) +
                     " on it rounds to 1 in double, where a decay must be "
                     "below 1");
  }
  // Each weight tensor must fit a package (at most 2^40 elements each,
  // docs/package-format.md): the embedding table and the widest
  // projections are the largest.
  auto tensorFits = [&](llvm::StringRef field, llvm::StringRef what,
                        int64_t rows, int64_t cols) {
    if (rows > 0 && cols > 0 && rows > (int64_t(1) << 40) / cols)
      add(field, "the " + what + " would hold " + llvm::Twine(rows) + " x " +
                     llvm::Twine(cols) +
                     " elements, more than a package allows (2^40)");
  };
  tensorFits("vocab", "embedding table (vocab x hidden)", vocabSize,
             hiddenSize);
  tensorFits("ffn.width", "FFN projections (ffn.width x hidden)",
             intermediateSize, hiddenSize);
  if (numHeads > 0 && numHeads <= kMaxHeads && headVDim > 0 &&
      headVDim <= kMaxHeadDim)
    tensorFits("value_dim", "output projection (hidden x heads*value_dim)",
               hiddenSize, numHeads * headVDim);
  if (chunkSizeHint < 0)
    add("chunk", "'chunk' must be positive (or auto), got " +
                     llvm::Twine(chunkSizeHint));
  else if (chunkSizeHint > kMaxChunkSize)
    add("chunk", "'chunk' = " + llvm::Twine(chunkSizeHint) +
                     " exceeds the supported maximum of " +
                     llvm::Twine(kMaxChunkSize) +
                     " (the CPU lowering's score tile is chunk x chunk)");
  return out;
}

bool ModelConfig::verify(llvm::raw_ostream &os, llvm::StringRef where) const {
  std::vector<Problem> found = problems();
  for (const Problem &p : found)
    os << where << p.message << "\n";
  return found.empty();
}

void ModelConfig::print(llvm::raw_ostream &os) const {
  auto number = [&](double v) { os << shortestDouble(v); };
  auto boolean = [](bool b) { return b ? "true" : "false"; };
  os << "model " << name << " {\n";
  os << "  hidden = " << hiddenSize << ";\n";
  os << "  layers = " << numLayers << ";\n";
  os << "  heads = " << numHeads << ";\n";
  os << "  kv_heads = " << numKVHeads << ";\n";
  os << llvm::left_justify(("  key_dim = " + llvm::Twine(headKDim) + ";").str(),
                           24)
     << "# per head\n";
  os << llvm::left_justify(
            ("  value_dim = " + llvm::Twine(headVDim) + ";").str(), 24)
     << "# per head\n";
  os << "  ffn { width = " << intermediateSize << "; activation = swish; }\n";
  os << "  norm { kind = rmsnorm; eps = ";
  number(normEps);
  os << "; }\n";
  os << "  rotary { base = ";
  number(rotaryBase);
  os << "; layout = " << stringify(rotaryLayout) << "; }\n";
  os << "  decay = ";
  if (decay == DecaySchedule::Explicit) {
    os << "[";
    for (auto [i, g] : llvm::enumerate(decayValues)) {
      if (i)
        os << ", ";
      number(g);
    }
    os << "];\n";
  } else {
    // The schedule's values, as a comment (what the compiler will use).
    os << stringify(decay) << ";   # gamma = [";
    for (auto [i, g] : llvm::enumerate(gammas()))
      os << (i ? ", " : "") << shortestDouble(g);
    os << "]\n";
  }
  os << "  vocab = " << vocabSize << ";\n";
  os << "  tie_embeddings = " << boolean(tieWordEmbeddings) << ";\n";
  os << "  output_gate = " << boolean(useOutputGate) << ";\n";
  os << "  dtype = " << stringify(weightType) << ";\n";
  os << "  chunk = ";
  if (chunkSizeHint == 0)
    os << "auto";
  else
    os << chunkSizeHint;
  os << ";\n}\n";
}

// A path names a config.json when it is a directory (its config.json), ends
// in .json, or (for other names such as /dev/stdin) its text starts with '{'.
bool retc::frontend::loadModelConfig(llvm::StringRef path, ModelConfig &config,
                                     llvm::raw_ostream &errs) {
  std::string file = path.str();
  bool isDirectory = llvm::sys::fs::is_directory(path);
  if (isDirectory) {
    llvm::SmallString<256> joined(path);
    llvm::sys::path::append(joined, "config.json");
    file = std::string(joined);
    if (!llvm::sys::fs::exists(file)) {
      errs << path
           << ": error: not a model checkpoint: the directory has no "
              "config.json\n";
      return false;
    }
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(file, /*IsText=*/true);
  if (std::error_code ec = buffer.getError()) {
    errs << file
         << ": error: cannot read the model description: " << ec.message()
         << "\n";
    return false;
  }
  llvm::StringRef ext = llvm::sys::path::extension(file);
  bool json = isDirectory || ext == ".json";
  if (!json && ext != ".ret")
    json = (*buffer)->getBuffer().ltrim().starts_with("{");
  // A checkpoint's model is named after its directory.
  std::string directory;
  if (isDirectory)
    directory = path.str();
  else if (llvm::sys::path::filename(file) == "config.json")
    directory = llvm::sys::path::parent_path(file).str();
  if (json)
    return readHFConfig(std::move(*buffer), directory, config, errs);
  return readRetModel(std::move(*buffer), config, errs);
}
