//===- CompiledFor.cpp - What a blob's code was compiled for ----*- C++ -*-===//
//
// See CompiledFor.h. The text is built from the Manifest structures, not
// from the JSON, so that retc (before it writes the manifest) and the
// runtime (after it has read it) make the same text of the same manifest:
// numbers are printed with 17 significant digits, which JSON's round trip
// keeps exactly.
//
//===----------------------------------------------------------------------===//
#include "runtime/package/CompiledFor.h"
#include "runtime/KernelABI.h"

#include "runtime/package/KernelParams.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

namespace retc::rt {

namespace {

/// The text of a string value on one line: backslashes and control
/// characters escaped.
std::string quote(const std::string &text) {
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

/// A value read from the code, for a message: control characters (which
/// no line retc writes holds) shown as '?'.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char &c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return out;
}

std::string number(double value) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

std::string numbers(const std::vector<double> &values) {
  std::string text;
  for (double value : values)
    text += (text.empty() ? "" : " ") + number(value);
  return text;
}

std::string dims(const std::array<int64_t, 3> &xyz) {
  return formatShape({xyz.begin(), xyz.end()});
}

std::string launchText(const LaunchConfig &launch, bool withEntry) {
  return (withEntry ? "entry=" + quote(launch.entry) + " " : "") +
         "grid=" + dims(launch.grid) + " block=" + dims(launch.block) +
         " shared_bytes=" + std::to_string(launch.sharedBytes);
}

/// Appends `<key> <value>\n`.
class Lines {
public:
  void add(const std::string &key, const std::string &value) {
    text += key + " " + value + "\n";
  }
  std::string text;
};

void describeKernel(Lines &lines, const KernelDesc &kernel,
                    const std::string &at) {
  lines.add(at + ".name", quote(kernel.name));
  lines.add(at + ".entry", quote(kernel.entry));
  // A retention kernel's record has no kind line, as before kinds existed,
  // so that packages compiled then still load; any other kind names itself.
  bool retention = kernel.kind == KernelKind::Retention;
  if (!retention)
    lines.add(at + ".kind", kernelKindName(kernel.kind));
  if (retention) {
    lines.add(at + ".form", formName(kernel.form));
    if (kernel.chunkSize)
      lines.add(at + ".chunk_size", std::to_string(*kernel.chunkSize));
  }
  lines.add(at + ".dtype", dtypeName(kernel.dtype));
  lines.add(at + ".shape", describeSizes(kernel));
  if (retention) {
    lines.add(at + ".decay", numbers(kernel.decay));
    lines.add(at + ".scale", number(kernel.scale));
  }
  for (size_t i = 0; i < kernel.params.size(); ++i) {
    const TensorParam &p = kernel.params[i];
    lines.add(at + ".params[" + std::to_string(i) + "]",
              quote(p.name) + " " + roleName(p.role) + " " +
                  dtypeName(p.dtype) + " " + formatShape(p.shape));
  }
  if (kernel.launch)
    lines.add(at + ".launch", launchText(*kernel.launch, false));
  for (size_t i = 0; i < kernel.launches.size(); ++i)
    lines.add(at + ".launches[" + std::to_string(i) + "]",
              launchText(kernel.launches[i], true));
  lines.add(at + ".workspace_bytes", std::to_string(kernel.workspaceBytes));
}

void describeModel(Lines &lines, const ModelManifest &model) {
  const ModelConfigDesc &c = model.config;
  std::pair<const char *, int64_t> sizes[] = {
      {"hidden_size", c.hiddenSize},
      {"num_hidden_layers", c.numLayers},
      {"num_heads", c.numHeads},
      {"num_kv_heads", c.numKVHeads},
      {"head_k_dim", c.headKDim},
      {"head_v_dim", c.headVDim},
      {"intermediate_size", c.intermediateSize},
      {"vocab_size", c.vocabSize}};
  for (auto [key, value] : sizes)
    lines.add(std::string("model.config.") + key, std::to_string(value));
  lines.add("model.config.norm_eps", number(c.normEps));
  lines.add("model.config.rotary_base", number(c.rotaryBase));
  lines.add("model.config.rotary_layout", quote(c.rotaryLayout));
  lines.add("model.config.tie_word_embeddings",
            c.tieWordEmbeddings ? "true" : "false");
  lines.add("model.config.use_output_gate", c.useOutputGate ? "true" : "false");
  lines.add("model.config.decay", numbers(c.decay));
  for (size_t i = 0; i < model.weights.size(); ++i) {
    const WeightDesc &w = model.weights[i];
    lines.add("model.weights[" + std::to_string(i) + "]",
              quote(w.name) + " " + dtypeName(w.dtype) + " " +
                  formatShape(w.shape));
  }
  lines.add("model.state", std::string(dtypeName(model.stateDType)) + " " +
                               formatShape(model.stateShape));
  for (size_t i = 0; i < model.entries.size(); ++i) {
    const ModelEntryDesc &e = model.entries[i];
    lines.add(
        "model.entries[" + std::to_string(i) + "]",
        quote(e.name) + " " + quote(e.symbol) + " " + formName(e.form) +
            (e.chunkSize ? " chunk_size=" + std::to_string(*e.chunkSize) : ""));
  }
}

void describeHostTarget(Lines &lines, const TargetDesc &host) {
  lines.add("model.host_target.triple", quote(host.triple));
  lines.add("model.host_target.cpu", quote(host.cpu));
  lines.add("model.host_target.features", quote(host.features));
}

void describeModelKernels(Lines &lines, const ModelManifest &model) {
  for (size_t i = 0; i < model.kernels.size(); ++i)
    lines.add("model.kernels[" + std::to_string(i) + "]",
              quote(model.kernels[i].entry) + " shared_bytes=" +
                  std::to_string(model.kernels[i].sharedBytes));
}

/// The `<key> <value>` lines of `text` after the first, in order.
std::vector<std::pair<std::string_view, std::string_view>>
splitLines(std::string_view text) {
  std::vector<std::pair<std::string_view, std::string_view>> lines;
  size_t at = text.find('\n');
  while (at != std::string_view::npos && at + 1 < text.size()) {
    size_t end = text.find('\n', at + 1);
    std::string_view line =
        text.substr(at + 1, end == std::string_view::npos ? end : end - at - 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos)
      lines.emplace_back(line, std::string_view());
    else
      lines.emplace_back(line.substr(0, space), line.substr(space + 1));
    at = end;
  }
  return lines;
}

} // namespace

std::string describeCompiledFor(const Manifest &manifest,
                                const std::string &blob) {
  Lines lines;
  lines.text = std::string(kCompiledForVersionLine) + "\n";
  const TargetDesc &target = manifest.target;
  lines.add("target.kind", targetKindName(target.kind));
  if (target.kind == TargetKind::Cpu) {
    lines.add("target.triple", quote(target.triple));
    lines.add("target.cpu", quote(target.cpu));
    lines.add("target.features", quote(target.features));
  } else {
    lines.add("target.arch", quote(target.arch));
  }
  for (size_t i = 0; i < manifest.kernels.size(); ++i)
    if (manifest.kernels[i].blob == blob)
      describeKernel(lines, manifest.kernels[i],
                     "kernels[" + std::to_string(i) + "]");
  const ModelManifest *model = manifest.model ? &*manifest.model : nullptr;
  bool gpuModel = model && target.kind == TargetKind::Cuda;
  if (model && model->blob == blob) {
    // A GPU model's host program: what it was compiled for, the model,
    // and every kernel it launches, the size of a call and its arena.
    if (gpuModel)
      describeHostTarget(lines, model->hostTarget.value_or(TargetDesc()));
    describeModel(lines, *model);
    if (gpuModel) {
      describeModelKernels(lines, *model);
      lines.add("model.max_tokens", std::to_string(model->maxTokens));
      lines.add("model.arena_bytes", std::to_string(model->arenaBytes));
      // Not a manifest field: the version of the call the host program's
      // entries take (KernelABI.h), which the runtime must match.
      lines.add("model.call_version",
                std::to_string(RETC_GPU_MODEL_CALL_VERSION));
    }
  }
  // A GPU model's CUDA module: the kernels the host program launches.
  if (gpuModel && model->kernelsBlob == blob)
    describeModelKernels(lines, *model);
  return lines.text;
}

Error checkCompiledFor(std::string_view expected, std::string_view recorded,
                       const std::string &context) {
  if (expected == recorded)
    return Error::success();
  std::string_view version = recorded.substr(0, recorded.find('\n'));
  if (version != kCompiledForVersionLine)
    return Error::failure(
        context + " records what it was compiled for as '" +
        printable(version.substr(0, 40)) + "', which this runtime " +
        "does not read (it reads '" + kCompiledForVersionLine + "')");
  std::string prefix = context +
                       " was compiled for something other than the manifest "
                       "describes: ";
  auto want = splitLines(expected);
  auto have = splitLines(recorded);
  std::map<std::string_view, std::string_view> haveByKey(have.begin(),
                                                         have.end());
  // Not a manifest field: the GPU model call's version (KernelABI.h).
  constexpr std::string_view callVersion = "model.call_version";
  auto wanted = std::find_if(want.begin(), want.end(), [&](const auto &line) {
    return line.first == callVersion;
  });
  auto had = haveByKey.find(callVersion);
  std::string_view hadVersion = had == haveByKey.end() ? "1" : had->second;
  if (wanted != want.end() && hadVersion != wanted->second)
    return Error::failure(
        context + " takes the GPU model call of version " +
        printable(hadVersion) + ", this runtime makes version " +
        std::string(wanted->second) +
        " (compiled by another retc: compile the package again)");
  for (const auto &[key, value] : want) {
    auto found = haveByKey.find(key);
    if (found == haveByKey.end())
      return Error::failure(prefix + "manifest field '" + std::string(key) +
                            "' is \"" + std::string(value) +
                            "\", which the code does not have");
    if (found->second != value)
      return Error::failure(prefix + "manifest field '" + std::string(key) +
                            "' is \"" + std::string(value) +
                            "\" where the code has \"" +
                            printable(found->second) + "\"");
  }
  std::map<std::string_view, std::string_view> wantByKey(want.begin(),
                                                         want.end());
  for (const auto &[key, value] : have)
    if (!wantByKey.count(key))
      return Error::failure(prefix + "the code has '" + printable(key) +
                            "' \"" + printable(value) +
                            "\", which the manifest lacks");
  // Same fields, same values: a difference of order or layout.
  return Error::failure(prefix + "the same fields, in another order");
}

} // namespace retc::rt
