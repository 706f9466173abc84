//===- HFConfig.cpp - reading an HF-style RetNet config.json --------------===//
//
// See HFConfig.h. Defaults and derivations follow flash-linear-attention:
// fla/models/retnet/configuration_retnet.py (RetNetConfig),
// fla/layers/multiscale_retention.py (head dims) and fla/modules/mlp.py
// (GatedMLP: the FFN width).
//
//===----------------------------------------------------------------------===//
#include "frontend/HFConfig.h"
#include "frontend/SourceDiagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdio>

using namespace retc::frontend;
namespace json = llvm::json;
using llvm::StringRef;
using llvm::Twine;

namespace {
/// Fields read into the ModelConfig (or checked and refused when set to
/// something retc does not implement).
const StringRef kKnownFields[] = {"model_type",
                                  "hidden_size",
                                  "num_hidden_layers",
                                  "num_heads",
                                  "num_kv_heads",
                                  "expand_k",
                                  "expand_v",
                                  "hidden_ratio",
                                  "intermediate_size",
                                  "hidden_act",
                                  "norm_eps",
                                  "vocab_size",
                                  "tie_word_embeddings",
                                  "use_output_gate",
                                  "use_short_conv",
                                  "feature_map",
                                  "attn",
                                  "attnres_block_size",
                                  "elementwise_affine"};

/// Fields that do not change the forward pass: kernel choices, training
/// options, token ids, HF bookkeeping. Accepted and ignored. (torch_dtype
/// sets nothing: the weights' dtype comes from the weights file at run time.)
const StringRef kHarmlessFields[] = {"fuse_norm",
                                     "fuse_swiglu",
                                     "fuse_cross_entropy",
                                     "fuse_linear_cross_entropy",
                                     "use_l2warp",
                                     "attn_mode",
                                     "use_cache",
                                     "initializer_range",
                                     "max_position_embeddings",
                                     "bos_token_id",
                                     "eos_token_id",
                                     "pad_token_id",
                                     "torch_dtype",
                                     "dtype",
                                     "transformers_version",
                                     "architectures",
                                     "conv_size",
                                     "_name_or_path",
                                     "auto_map",
                                     // transformers' PretrainedConfig
                                     // bookkeeping (5.x writes these).
                                     "output_hidden_states",
                                     "output_attentions",
                                     "return_dict",
                                     "chunk_size_feed_forward",
                                     "is_encoder_decoder",
                                     "id2label",
                                     "label2id",
                                     "problem_type",
                                     "tokenizer_class",
                                     "prefix",
                                     "sep_token_id",
                                     "decoder_start_token_id",
                                     "task_specific_params",
                                     "finetuning_task",
                                     "tie_encoder_decoder",
                                     "add_cross_attention",
                                     "cross_attention_hidden_size"};

/// The deepest nesting of arrays and objects a config.json may have; the
/// outermost object is level 1 (docs/model-language.md). llvm::json parses
/// and frees values recursively, so deeper text is refused before parsing.
constexpr int kMaxJsonDepth = 256;

/// The first '[' or '{' outside strings that opens a level deeper than
/// kMaxJsonDepth, or nullptr.
const char *findNestingTooDeep(StringRef text) {
  int depth = 0;
  bool inString = false;
  for (const char *p = text.begin(), *e = text.end(); p < e; ++p) {
    if (inString) {
      if (*p == '\\')
        ++p; // the escaped character cannot end the string
      else if (*p == '"')
        inString = false;
    } else if (*p == '"') {
      inString = true;
    } else if (*p == '[' || *p == '{') {
      if (++depth > kMaxJsonDepth)
        return p;
    } else if ((*p == ']' || *p == '}') && depth > 0) {
      --depth;
    }
  }
  return nullptr;
}

/// Where a top-level field's name (with its quotes) and its value are in the
/// text; the value's end only for scalars.
struct FieldPlace {
  llvm::SMRange key;
  llvm::SMRange value;
};

/// A top-level key given again: the key, as spelled there, and where.
struct RepeatedField {
  std::string key;
  std::string spelled;
  FieldPlace place;
};

/// The text of a JSON string literal (with its quotes) with its escapes
/// resolved, as llvm::json reads it; the literal's inside if it is not
/// valid.
std::string unescape(StringRef literal) {
  llvm::Expected<json::Value> value = json::parse(literal);
  if (value)
    if (std::optional<StringRef> s = value->getAsString())
      return s->str();
  llvm::consumeError(value.takeError());
  return literal.drop_front().drop_back().str();
}

/// `key` for a one-line message: control characters (which a key may hold
/// as escapes such as \u000a) written as \u escapes again.
std::string printable(StringRef key) {
  std::string out;
  for (char c : key)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", unsigned(c) & 0xff);
      out += escape;
    } else {
      out += c;
    }
  return out;
}

/// The places of the top-level fields, by key (unescaped, as llvm::json
/// reads them), found by a small scan that tracks strings and nesting; keys
/// given again go to `repeated`.
llvm::StringMap<FieldPlace>
findTopLevelFields(StringRef text, std::vector<RepeatedField> &repeated) {
  llvm::StringMap<FieldPlace> out;
  const char *p = text.begin(), *e = text.end();
  auto skipSpace = [&](const char *q) {
    while (q < e && llvm::isSpace(*q))
      ++q;
    return q;
  };
  auto skipString = [&](const char *q) { // q is just after the opening quote
    while (q < e && *q != '"')
      q += (*q == '\\' && q + 1 < e) ? 2 : 1;
    return q < e ? q + 1 : e;
  };
  int depth = 0;
  while (p < e) {
    char c = *p;
    if (c == '"') {
      const char *start = p + 1;
      p = skipString(start);
      if (depth != 1)
        continue;
      const char *q = skipSpace(p);
      if (q >= e || *q != ':')
        continue;
      StringRef spelled(start, std::max<ptrdiff_t>(0, p - 1 - start));
      std::string key = unescape(StringRef(start - 1, p - (start - 1)));
      const char *value = skipSpace(q + 1);
      const char *end = value;
      if (end < e && *end == '"')
        end = skipString(end + 1);
      else if (end < e && *end != '{' && *end != '[')
        while (end < e && *end != ',' && *end != '}' && *end != ']' &&
               !llvm::isSpace(*end))
          ++end;
      auto loc = [](const char *p) { return llvm::SMLoc::getFromPointer(p); };
      FieldPlace place{{loc(start - 1), loc(p)}, {loc(value), loc(end)}};
      if (!out.try_emplace(key, place).second)
        repeated.push_back({key, spelled.str(), place});
      continue;
    }
    if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
    ++p;
  }
  return out;
}

/// How a message shows a JSON value: scalars as JSON text, containers by kind.
std::string describe(const json::Value &v) {
  if (v.kind() == json::Value::Array)
    return "an array";
  if (v.kind() == json::Value::Object)
    return "an object";
  if (v.kind() == json::Value::Number && !v.getAsInteger())
    return shortestDouble(*v.getAsNumber());
  std::string s;
  llvm::raw_string_ostream(s) << v;
  return s;
}

/// A model name from a checkpoint directory's name: [A-Za-z0-9_] kept, any
/// other character made '_'.
std::string nameFromDirectory(StringRef directory) {
  llvm::SmallString<128> path(directory);
  while (path.size() > 1 && llvm::sys::path::is_separator(path.back()))
    path.pop_back();
  std::string name = llvm::sys::path::filename(path).str();
  for (char &c : name)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  if (!name.empty() && llvm::isDigit(name[0]))
    name = "_" + name;
  return isModelName(name) && name.find_first_not_of('_') != std::string::npos
             ? name
             : "retnet";
}

class HFConfigReader {
public:
  HFConfigReader(llvm::SourceMgr &sourceMgr, unsigned bufferID,
                 llvm::raw_ostream &errs)
      : diags(sourceMgr, errs), errs(errs),
        text(sourceMgr.getMemoryBuffer(bufferID)->getBuffer()),
        file(sourceMgr.getMemoryBuffer(bufferID)->getBufferIdentifier()) {}

  bool read(StringRef checkpointDirectory, ModelConfig &config);

private:
  /// An error about `key`: at its value (or its name) when the text shows
  /// where it is.
  bool fail(StringRef key, const Twine &message, bool atName = false) {
    auto it = places.find(key);
    if (it != places.end())
      diags.error(atName ? it->second.key : it->second.value, message);
    else
      errs << file << ": error: " << message << "\n";
    return false;
  }
  bool failHere(const Twine &message) {
    errs << file << ": error: " << message << "\n";
    return false;
  }
  bool parse();
  bool checkFieldNames();
  bool checkRefusedOptions();

  const json::Value *get(StringRef key) const { return root->get(key); }
  bool isNull(StringRef key) const {
    const json::Value *v = get(key);
    return v && v->kind() == json::Value::Null;
  }
  bool readPositiveInt(StringRef key, int64_t &out);
  bool readPositiveNumber(StringRef key, double &out);
  bool readBool(StringRef key, bool &out);
  bool resolveHeadDim(StringRef expandKey, double expand, int64_t hidden,
                      int64_t heads, StringRef dimName, int64_t &out);

  SourceDiagnostics diags;
  llvm::raw_ostream &errs;
  StringRef text;
  StringRef file;
  json::Value document = nullptr;
  const json::Object *root = nullptr;
  llvm::StringMap<FieldPlace> places;
};
} // namespace

bool HFConfigReader::parse() {
  if (const char *deep = findNestingTooDeep(text)) {
    diags.error(llvm::SMLoc::getFromPointer(deep),
                "arrays and objects nest more than " + Twine(kMaxJsonDepth) +
                    " levels deep (this one opens level " +
                    Twine(kMaxJsonDepth + 1) + ")");
    return false;
  }
  llvm::Expected<json::Value> parsed = json::parse(text);
  if (!parsed) {
    // json::ParseError logs as "[line:col, byte=N]: message".
    std::string log = llvm::toString(parsed.takeError());
    StringRef rest(log);
    size_t offset;
    if (rest.consume_front("[") && rest.contains(", byte=")) {
      StringRef byte = rest.split(", byte=").second;
      auto [number, message] = byte.split("]: ");
      if (!number.getAsInteger(10, offset) && offset <= text.size()) {
        diags.error(llvm::SMLoc::getFromPointer(text.data() + offset),
                    "invalid JSON: " + message);
        return false;
      }
    }
    return failHere("invalid JSON: " + log);
  }
  document = std::move(*parsed);
  root = document.getAsObject();
  if (!root)
    return failHere("expected a JSON object (an HF config.json), got " +
                    describe(document));
  // llvm::json (like Python's json) keeps the last of repeated keys; a
  // config that says two things is refused instead, also when the key is
  // spelled with escapes ("hidden\u005fsize").
  std::vector<RepeatedField> repeated;
  places = findTopLevelFields(text, repeated);
  if (!repeated.empty()) {
    const RepeatedField &again = repeated.front();
    std::string spelling;
    if (again.spelled != again.key)
      spelling = " (spelled \"" + again.spelled + "\" here)";
    diags.error(again.place.key,
                "duplicate field '" + printable(again.key) + "'" + spelling);
    diags.note(places[again.key].key,
               "'" + printable(again.key) + "' first given here");
    return false;
  }
  return true;
}

// model_type first (a config of another model is better told so than told
// about its unknown fields), then any field retc does not know.
bool HFConfigReader::checkFieldNames() {
  const json::Value *type = get("model_type");
  if (!type)
    return failHere("missing required field 'model_type' (expected "
                    "\"retnet\")");
  std::optional<StringRef> typeName = type->getAsString();
  if (!typeName || *typeName != "retnet")
    return fail("model_type", "'model_type' is " + describe(*type) +
                                  ", expected \"retnet\": retc compiles "
                                  "RetNet models");
  // Report the first unknown field in the order of the text.
  std::vector<std::pair<const char *, std::string>> unknown;
  for (const auto &[key, value] : *root) {
    StringRef name = key;
    if (llvm::is_contained(kKnownFields, name) ||
        llvm::is_contained(kHarmlessFields, name))
      continue;
    auto it = places.find(name);
    unknown.push_back(
        {it != places.end() ? it->second.key.Start.getPointer() : text.end(),
         name.str()});
  }
  if (unknown.empty())
    return true;
  llvm::sort(unknown);
  StringRef name = unknown.front().second;
  std::string message =
      "unknown field '" + printable(name) +
      "': retc does not know what it changes, so it refuses it";
  StringRef best;
  unsigned bestDistance = 3;
  for (StringRef candidate : kKnownFields) {
    unsigned d = name.edit_distance(candidate, true, bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (!best.empty())
    message += " (did you mean '" + best.str() + "'?)";
  return fail(name, message, /*atName=*/true);
}

bool HFConfigReader::checkRefusedOptions() {
  // fla names the gated head norm `g_norm` instead of `g_norm_swish_gate`
  // when fuse_norm is false; the model builder knows only the fused name.
  if (const json::Value *v = get("fuse_norm")) {
    std::optional<bool> fused = v->getAsBoolean();
    const json::Value *gate = get("use_output_gate");
    bool gated = !gate || gate->getAsBoolean().value_or(true);
    if (fused && !*fused && gated)
      return fail("fuse_norm",
                  "'fuse_norm' = false with the output gate names the head "
                  "norm 'attn.g_norm.weight', which is not supported yet; "
                  "only true");
  }
  if (const json::Value *v = get("use_short_conv")) {
    std::optional<bool> b = v->getAsBoolean();
    if (!b)
      return fail("use_short_conv", "'use_short_conv' must be true or false, "
                                    "got " +
                                        describe(*v));
    if (*b)
      return fail("use_short_conv",
                  "'use_short_conv' = true (short convolutions on q, k and v) "
                  "is not supported yet");
  }
  if (const json::Value *v = get("feature_map"); v && !isNull("feature_map"))
    return fail("feature_map", "'feature_map' = " + describe(*v) +
                                   " (a feature map on q and k) is not "
                                   "supported yet; only null");
  if (const json::Value *v = get("attnres_block_size");
      v && !isNull("attnres_block_size"))
    return fail("attnres_block_size",
                "'attnres_block_size' = " + describe(*v) +
                    " (attention-residual blocks) is not supported yet; only "
                    "null");
  if (const json::Value *v = get("attn"); v && !isNull("attn"))
    return fail("attn", "'attn' = " + describe(*v) +
                            " (hybrid attention layers) is not supported yet; "
                            "only null");
  if (const json::Value *v = get("elementwise_affine")) {
    std::optional<bool> b = v->getAsBoolean();
    if (!b && !isNull("elementwise_affine"))
      return fail("elementwise_affine", "'elementwise_affine' must be true "
                                        "or false, got " +
                                            describe(*v));
    if (!b || !*b)
      return fail("elementwise_affine",
                  "'elementwise_affine' = " + describe(*v) +
                      " (RMSNorms without weights) is not supported; only "
                      "true");
  }
  if (const json::Value *v = get("hidden_act")) {
    std::optional<StringRef> act = v->getAsString();
    if (!act)
      return fail("hidden_act",
                  "'hidden_act' must be a string, got " + describe(*v));
    if (*act != "swish" && *act != "silu")
      return fail("hidden_act", "'hidden_act' = " + describe(*v) +
                                    " is not supported: the FFN is SwiGLU "
                                    "and the output gate swish (\"swish\" "
                                    "or \"silu\")");
  }
  return true;
}

bool HFConfigReader::readPositiveInt(StringRef key, int64_t &out) {
  const json::Value *v = get(key);
  if (!v)
    return true;
  std::optional<int64_t> n = v->getAsInteger();
  if (!n)
    return fail(key, "'" + key + "' must be an integer, got " + describe(*v));
  if (*n <= 0)
    return fail(key, "'" + key + "' must be positive, got " + Twine(*n));
  out = *n;
  return true;
}

bool HFConfigReader::readPositiveNumber(StringRef key, double &out) {
  const json::Value *v = get(key);
  if (!v)
    return true;
  std::optional<double> n = v->getAsNumber();
  if (!n)
    return fail(key, "'" + key + "' must be a number, got " + describe(*v));
  if (!(*n > 0.0) || !std::isfinite(*n))
    return fail(key, "'" + key + "' must be positive, got " + describe(*v));
  out = *n;
  return true;
}

bool HFConfigReader::readBool(StringRef key, bool &out) {
  const json::Value *v = get(key);
  if (!v)
    return true;
  std::optional<bool> b = v->getAsBoolean();
  if (!b)
    return fail(key,
                "'" + key + "' must be true or false, got " + describe(*v));
  out = *b;
  return true;
}

// MultiScaleRetention: key_dim = hidden * expand_k must be an integer
// (math.isclose) divisible by num_heads; head_k_dim = key_dim / num_heads.
bool HFConfigReader::resolveHeadDim(StringRef expandKey, double expand,
                                    int64_t hidden, int64_t heads,
                                    StringRef dimName, int64_t &out) {
  std::optional<int64_t> width = expandedWidth(hidden, expand);
  if (!width)
    return fail(expandKey, "hidden_size * " + expandKey + " = " +
                               Twine(hidden) + " * " + shortestDouble(expand) +
                               " is not an integer");
  if (*width == 0 || *width % heads != 0)
    return fail(
        expandKey,
        "hidden_size * " + expandKey + " = " + Twine(*width) +
            " is not a positive multiple of num_heads = " + Twine(heads) +
            " (" + dimName + " would not be a whole number)");
  out = *width / heads;
  return true;
}

bool HFConfigReader::read(StringRef checkpointDirectory, ModelConfig &config) {
  if (!parse() || !checkFieldNames() || !checkRefusedOptions())
    return false;
  llvm::SmallVector<StringRef> missing;
  for (StringRef key :
       {"hidden_size", "num_hidden_layers", "num_heads", "vocab_size"})
    if (!get(key))
      missing.push_back(key);
  if (!missing.empty()) {
    std::string names;
    for (auto [i, n] : llvm::enumerate(missing))
      names += (i == 0                    ? "'"
                : i + 1 == missing.size() ? " and '"
                                          : ", '") +
               n.str() + "'";
    return failHere("missing required field" +
                    Twine(missing.size() > 1 ? "s " : " ") + names);
  }

  config = ModelConfig();
  if (!checkpointDirectory.empty())
    config.name = nameFromDirectory(checkpointDirectory);
  if (!readPositiveInt("hidden_size", config.hiddenSize) ||
      !readPositiveInt("num_hidden_layers", config.numLayers) ||
      !readPositiveInt("num_heads", config.numHeads) ||
      !readPositiveInt("vocab_size", config.vocabSize))
    return false;
  config.numKVHeads = config.numHeads; // num_kv_heads: null or absent
  if (!isNull("num_kv_heads") &&
      !readPositiveInt("num_kv_heads", config.numKVHeads))
    return false;
  if (config.numHeads % config.numKVHeads != 0)
    return fail("num_kv_heads", "'num_heads' = " + Twine(config.numHeads) +
                                    " is not a multiple of 'num_kv_heads' = " +
                                    Twine(config.numKVHeads));

  double expandK = 1.0, expandV = 2.0; // RetNetConfig's defaults
  if (!readPositiveNumber("expand_k", expandK) ||
      !readPositiveNumber("expand_v", expandV) ||
      !resolveHeadDim("expand_k", expandK, config.hiddenSize, config.numHeads,
                      "head_k_dim", config.headKDim) ||
      !resolveHeadDim("expand_v", expandV, config.hiddenSize, config.numHeads,
                      "head_v_dim", config.headVDim))
    return false;
  if (config.headKDim % 2 != 0)
    return fail("expand_k", "head_k_dim = hidden_size * expand_k / num_heads "
                            "= " +
                                Twine(config.headKDim) +
                                " is odd; rotary embeddings need an even "
                                "head dim");

  // GatedMLP: intermediate_size if given, else from hidden_ratio (absent: 2
  // as RetNetConfig defaults it; null: 4 as GatedMLP defaults it).
  if (get("intermediate_size") && !isNull("intermediate_size")) {
    if (!readPositiveInt("intermediate_size", config.intermediateSize))
      return false;
  } else {
    double ratio = isNull("hidden_ratio") ? 4.0 : 2.0;
    if (!isNull("hidden_ratio") && !readPositiveNumber("hidden_ratio", ratio))
      return false;
    std::optional<int64_t> width =
        deriveIntermediateSize(config.hiddenSize, ratio);
    if (!width)
      return fail("hidden_ratio",
                  "the FFN width hidden_size * hidden_ratio * 2/3 = " +
                      shortestDouble(config.hiddenSize * ratio * 2.0 / 3.0) +
                      " is far beyond the supported maximum of " +
                      Twine(kMaxIntermediateSize));
    config.intermediateSize = *width;
  }

  if (const json::Value *v = get("norm_eps")) {
    std::optional<double> eps = v->getAsNumber();
    if (!eps || !(*eps > 0.0) || !std::isfinite(*eps))
      return fail("norm_eps",
                  "'norm_eps' must be a positive number, got " + describe(*v));
    if (std::optional<std::string> problem = normEpsProblem(*eps, "norm_eps"))
      return fail("norm_eps", *problem);
    config.normEps = *eps;
  }
  if (!readBool("tie_word_embeddings", config.tieWordEmbeddings) ||
      !readBool("use_output_gate", config.useOutputGate))
    return false;
  // torch_dtype (transformers 5 writes `dtype`): the checkpoint's type,
  // which GPU packages take by default; other values (absent, "auto")
  // say nothing.
  for (StringRef key : {"torch_dtype", "dtype"})
    if (const json::Value *v = get(key))
      if (std::optional<StringRef> name = v->getAsString()) {
        if (*name == "bfloat16")
          config.checkpointType = WeightType::BF16;
        else if (*name == "float16")
          config.checkpointType = WeightType::F16;
        else if (*name == "float32")
          config.checkpointType = WeightType::F32;
      }
  // Everything else is fixed by the architecture: rotate-half rotary with
  // base 10000, the RetNet decay, F32 (the weights decide at run time), and
  // a chunk size chosen by the compiler.
  // What is left are the limits on sizes: report the first broken one at
  // the config.json field it comes from.
  static const std::pair<StringRef, StringRef> kSources[] = {
      {"hidden", "hidden_size"},
      {"layers", "num_hidden_layers"},
      {"heads", "num_heads"},
      {"decay", "num_heads"}, // the retnet decay's limit on heads
      {"kv_heads", "num_kv_heads"},
      {"key_dim", "expand_k"},
      {"value_dim", "expand_v"},
      {"vocab", "vocab_size"},
      {"norm.eps", "norm_eps"},
      {"ffn.width", get("intermediate_size") && !isNull("intermediate_size")
                        ? "intermediate_size"
                        : "hidden_ratio"}};
  std::vector<ModelConfig::Problem> problems = config.problems();
  if (problems.empty())
    return true;
  const ModelConfig::Problem &first = problems.front();
  StringRef source = "hidden_size";
  for (auto [field, key] : kSources)
    if (field == first.field)
      source = key;
  if (!places.count(source))
    source = "hidden_size";
  return fail(source, first.message);
}

bool retc::frontend::readHFConfig(std::unique_ptr<llvm::MemoryBuffer> buffer,
                                  StringRef checkpointDirectory,
                                  ModelConfig &config,
                                  llvm::raw_ostream &errs) {
  llvm::SourceMgr sourceMgr;
  unsigned bufferID = sourceMgr.AddNewSourceBuffer(std::move(buffer), {});
  HFConfigReader reader(sourceMgr, bufferID, errs);
  return reader.read(checkpointDirectory, config);
}
