//===- RetSema.cpp - meaning of a parsed .ret model description -----------===//
//
// See RetSema.h. Fields are addressed by key: "hidden" at the top level,
// "ffn.width" inside a block. The first error ends the check.
//
//===----------------------------------------------------------------------===//
#include "frontend/RetSema.h"

#include "llvm/ADT/StringMap.h"

#include <cmath>

using namespace retc::frontend;
using llvm::SMRange;
using llvm::StringRef;
using llvm::Twine;

namespace {
const StringRef kTopFields[] = {
    "hidden",         "layers",      "heads",    "kv_heads", "key_dim",
    "value_dim",      "expand_k",    "expand_v", "decay",    "vocab",
    "tie_embeddings", "output_gate", "dtype",    "chunk"};
const StringRef kFfnFields[] = {"width", "hidden_ratio", "activation"};
const StringRef kNormFields[] = {"kind", "eps"};
const StringRef kRotaryFields[] = {"base", "layout"};

struct BlockSpec {
  StringRef name;
  llvm::ArrayRef<StringRef> fields;
};
const BlockSpec kBlocks[] = {
    {"ffn", kFfnFields}, {"norm", kNormFields}, {"rotary", kRotaryFields}};

/// Names people bring from config.json (or habit) and what they are here.
const std::pair<StringRef, StringRef> kAliases[] = {
    {"hidden_size", "hidden"},
    {"num_hidden_layers", "layers"},
    {"num_layers", "layers"},
    {"num_heads", "heads"},
    {"num_kv_heads", "kv_heads"},
    {"head_k_dim", "key_dim"},
    {"head_v_dim", "value_dim"},
    {"vocab_size", "vocab"},
    {"tie_word_embeddings", "tie_embeddings"},
    {"use_output_gate", "output_gate"},
    {"torch_dtype", "dtype"},
    {"chunk_size", "chunk"},
    {"intermediate_size", "ffn { width = ... }"},
    {"hidden_act", "ffn { activation = ... }"},
    {"norm_eps", "norm { eps = ... }"},
    {"rope_theta", "rotary { base = ... }"},
};

const BlockSpec *findBlock(StringRef name) {
  for (const BlockSpec &b : kBlocks)
    if (b.name == name)
      return &b;
  return nullptr;
}
bool isTopField(StringRef name) { return llvm::is_contained(kTopFields, name); }

/// The closest candidate by edit distance, if close enough to be a typo.
std::optional<StringRef> closest(StringRef name,
                                 llvm::ArrayRef<StringRef> candidates,
                                 unsigned *distanceOut = nullptr) {
  unsigned limit =
      std::min<unsigned>(3, std::max<unsigned>(1, (name.size() + 1) / 2));
  std::optional<StringRef> best;
  unsigned bestDistance = limit + 1;
  for (StringRef c : candidates) {
    unsigned d = name.edit_distance(c, /*AllowReplacements=*/true, limit);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (distanceOut)
    *distanceOut = bestDistance;
  return best;
}

/// How a type error names a value.
std::string describeValue(const RetValue &value) {
  if (value.isList)
    return "a list";
  return "'" + value.token.text.str() + "'";
}

std::string joinQuoted(llvm::ArrayRef<StringRef> names) {
  std::string out;
  for (auto [i, n] : llvm::enumerate(names)) {
    if (i)
      out += i + 1 == names.size() ? " and " : ", ";
    out += "'" + n.str() + "'";
  }
  return out;
}

std::string listWords(llvm::ArrayRef<StringRef> words) {
  std::string out;
  for (auto [i, w] : llvm::enumerate(words)) {
    if (i)
      out += i + 1 == words.size() ? " or " : ", ";
    out += w.str();
  }
  return out;
}

class Sema {
public:
  Sema(const RetModel &model, SourceDiagnostics &diags)
      : model(model), diags(diags) {}

  bool run(ModelConfig &config);

private:
  bool fail(SMRange range, const Twine &message) {
    diags.error(range, message);
    return false;
  }
  bool collect();
  bool collectField(const RetField &field, const BlockSpec *block);
  bool checkRequired();
  bool checkExclusive(StringRef a, StringRef b);

  const RetField *get(StringRef key) const { return given.lookup(key); }
  SMRange valueRange(StringRef key) const {
    const RetField *f = get(key);
    return f ? f->value.range : model.name.range();
  }

  bool readInt(StringRef key, int64_t &out, bool allowAuto = false);
  bool readNumber(StringRef key, double &out);
  bool readPositiveNumber(StringRef key, double &out);
  bool readBool(StringRef key, bool &out);
  bool readWord(StringRef key, llvm::ArrayRef<StringRef> accepted,
                StringRef what, StringRef &out);
  bool resolveHeadDim(StringRef dimKey, StringRef expandKey,
                      double expandDefault, const ModelConfig &config,
                      int64_t &out);
  bool readDecay(ModelConfig &config);

  const RetModel &model;
  SourceDiagnostics &diags;
  llvm::StringMap<const RetField *> given;
  llvm::StringMap<const RetBlock *> blocks;
  /// Where each ModelConfig field came from, for ModelConfig::problems().
  llvm::StringMap<SMRange> origin;
};
} // namespace

bool Sema::collectField(const RetField &field, const BlockSpec *block) {
  StringRef name = field.name.text;
  SMRange where = field.name.range();
  llvm::ArrayRef<StringRef> known =
      block ? block->fields : llvm::ArrayRef<StringRef>(kTopFields);
  if (!llvm::is_contained(known, name)) {
    if (!block) {
      if (findBlock(name))
        return fail(where,
                    "'" + name + "' is a block: write '" + name + " { ... }'");
      for (auto [alias, meant] : kAliases)
        if (alias == name)
          return fail(where, "unknown field '" + name + "'; did you mean '" +
                                 meant + "'?");
      // A typo of a model field, or a block's field written at the top.
      unsigned topDistance, blockDistance = ~0u;
      std::optional<StringRef> top = closest(name, kTopFields, &topDistance);
      std::string inBlock;
      for (const BlockSpec &b : kBlocks) {
        unsigned d;
        if (std::optional<StringRef> c = closest(name, b.fields, &d);
            c && d < blockDistance) {
          blockDistance = d;
          inBlock = (b.name + " { " + *c + " = ... }").str();
        }
      }
      if (top && topDistance <= blockDistance)
        return fail(where, "unknown field '" + name + "'; did you mean '" +
                               *top + "'?");
      if (!inBlock.empty())
        return fail(where, "unknown field '" + name + "'; did you mean '" +
                               inBlock + "'?");
      return fail(where, "unknown field '" + name + "'");
    }
    if (isTopField(name))
      return fail(where, "'" + name +
                             "' is a model field, not part of block '" +
                             block->name + "'");
    for (const BlockSpec &b : kBlocks)
      if (&b != block && llvm::is_contained(b.fields, name))
        return fail(where, "'" + name + "' belongs in block '" + b.name +
                               "', not '" + block->name + "'");
    if (std::optional<StringRef> c = closest(name, block->fields))
      return fail(where, "unknown field '" + name + "' in block '" +
                             block->name + "'; did you mean '" + *c + "'?");
    return fail(where,
                "unknown field '" + name + "' in block '" + block->name + "'");
  }
  std::string key = block ? (block->name + "." + name).str() : name.str();
  auto [it, inserted] = given.try_emplace(key, &field);
  if (!inserted) {
    diags.error(where, "duplicate field '" + key + "'");
    diags.note(it->second->name.range(), "'" + key + "' first given here");
    return false;
  }
  return true;
}

bool Sema::collect() {
  for (const RetField &field : model.fields)
    if (!collectField(field, nullptr))
      return false;
  for (const RetBlock &block : model.blocks) {
    StringRef name = block.name.text;
    const BlockSpec *spec = findBlock(name);
    if (!spec) {
      if (isTopField(name))
        return fail(block.name.range(),
                    "'" + name + "' is a field, not a block: write '" + name +
                        " = ...;'");
      static const StringRef names[] = {"ffn", "norm", "rotary"};
      if (std::optional<StringRef> c = closest(name, names))
        return fail(block.name.range(),
                    "unknown block '" + name + "'; did you mean '" + *c + "'?");
      return fail(block.name.range(), "unknown block '" + name +
                                          "'; the blocks are ffn, norm "
                                          "and rotary");
    }
    auto [it, inserted] = blocks.try_emplace(name, &block);
    if (!inserted) {
      diags.error(block.name.range(), "duplicate block '" + name + "'");
      diags.note(it->second->name.range(), "'" + name + "' first given here");
      return false;
    }
    for (const RetField &field : block.fields)
      if (!collectField(field, spec))
        return false;
  }
  return true;
}

bool Sema::checkRequired() {
  llvm::SmallVector<StringRef> missing;
  for (StringRef key : {"hidden", "layers", "heads", "vocab"})
    if (!get(key))
      missing.push_back(key);
  if (missing.empty())
    return true;
  return fail(model.name.range(),
              "model '" + model.name.text + "' is missing required field" +
                  (missing.size() > 1 ? "s " : " ") + joinQuoted(missing));
}

bool Sema::checkExclusive(StringRef a, StringRef b) {
  const RetField *fa = get(a), *fb = get(b);
  if (!fa || !fb)
    return true;
  if (fb->name.loc().getPointer() < fa->name.loc().getPointer())
    std::swap(fa, fb);
  diags.error(fb->name.range(),
              "'" + a + "' and '" + b + "' both given; give one of them");
  diags.note(fa->name.range(), "the other one is here");
  return false;
}

bool Sema::readInt(StringRef key, int64_t &out, bool allowAuto) {
  const RetField *f = get(key);
  if (!f)
    return true;
  const RetValue &v = f->value;
  if (allowAuto && !v.isList && v.token.is(TokenKind::Identifier) &&
      v.token.text == "auto") {
    out = 0;
    return true;
  }
  if (v.isList || !v.token.is(TokenKind::Integer))
    return fail(v.range, "'" + key + "' expects an integer" +
                             (allowAuto ? " or auto" : "") + ", got " +
                             describeValue(v));
  if (v.token.text.getAsInteger(10, out))
    return fail(v.range, "'" + key + "' = " + v.token.text + " is too large");
  if (out <= 0)
    return fail(v.range, "'" + key + "' must be positive, got " + v.token.text);
  origin[key] = v.range;
  return true;
}

bool Sema::readNumber(StringRef key, double &out) {
  const RetField *f = get(key);
  if (!f)
    return true;
  const RetValue &v = f->value;
  if (v.isList || !v.token.isNumber())
    return fail(v.range,
                "'" + key + "' expects a number, got " + describeValue(v));
  if (v.token.text.getAsDouble(out) || !std::isfinite(out))
    return fail(v.range, "'" + key + "' = " + v.token.text +
                             " is out of range for a double");
  origin[key] = v.range;
  return true;
}

bool Sema::readPositiveNumber(StringRef key, double &out) {
  if (!readNumber(key, out))
    return false;
  if (get(key) && !(out > 0.0))
    return fail(valueRange(key), "'" + key + "' must be positive, got " +
                                     get(key)->value.token.text);
  return true;
}

bool Sema::readBool(StringRef key, bool &out) {
  const RetField *f = get(key);
  if (!f)
    return true;
  const RetValue &v = f->value;
  if (!v.isList && v.token.is(TokenKind::Identifier) &&
      (v.token.text == "true" || v.token.text == "false")) {
    out = v.token.text == "true";
    return true;
  }
  return fail(v.range,
              "'" + key + "' expects true or false, got " + describeValue(v));
}

bool Sema::readWord(StringRef key, llvm::ArrayRef<StringRef> accepted,
                    StringRef what, StringRef &out) {
  const RetField *f = get(key);
  if (!f)
    return true;
  const RetValue &v = f->value;
  if (v.isList || !v.token.is(TokenKind::Identifier))
    return fail(v.range, "'" + key + "' expects " + listWords(accepted) +
                             ", got " + describeValue(v));
  if (llvm::is_contained(accepted, v.token.text)) {
    out = v.token.text;
    return true;
  }
  std::string message = ("unknown " + what + " '" + v.token.text +
                         "'; expected " + listWords(accepted))
                            .str();
  if (std::optional<StringRef> c = closest(v.token.text, accepted))
    message += " (did you mean '" + c->str() + "'?)";
  return fail(v.range, message);
}

// A head dim given directly (`key_dim = 16;`) or as hidden * expand / heads,
// where hidden * expand must be an integer divisible by heads
// (flash-linear-attention's MultiScaleRetention asserts both).
bool Sema::resolveHeadDim(StringRef dimKey, StringRef expandKey,
                          double expandDefault, const ModelConfig &config,
                          int64_t &out) {
  if (get(dimKey))
    return readInt(dimKey, out);
  double expand = expandDefault;
  if (!readPositiveNumber(expandKey, expand))
    return false;
  SMRange where = get(expandKey) ? valueRange(expandKey) : valueRange("hidden");
  origin[dimKey] = where;
  std::optional<int64_t> width = expandedWidth(config.hiddenSize, expand);
  if (!width)
    return fail(where, "hidden * " + expandKey + " = " +
                           Twine(config.hiddenSize) + " * " +
                           shortestDouble(expand) + " = " +
                           shortestDouble(config.hiddenSize * expand) +
                           " is not an integer");
  if (*width % config.numHeads != 0)
    return fail(get(expandKey) ? where : valueRange("heads"),
                "hidden * " + expandKey + " = " + Twine(*width) +
                    " is not divisible by 'heads' = " + Twine(config.numHeads));
  out = *width / config.numHeads;
  return true;
}

bool Sema::readDecay(ModelConfig &config) {
  const RetField *f = get("decay");
  if (!f)
    return true;
  const RetValue &v = f->value;
  origin["decay"] = v.range;
  if (!v.isList) {
    StringRef word;
    static const StringRef schedules[] = {"retnet", "paper"};
    if (v.token.is(TokenKind::Identifier) &&
        !llvm::is_contained(schedules, v.token.text)) {
      std::string message =
          ("unknown decay schedule '" + v.token.text +
           "'; expected retnet, paper or a list [g0, g1, ...]")
              .str();
      if (std::optional<StringRef> c = closest(v.token.text, schedules))
        message += " (did you mean '" + c->str() + "'?)";
      return fail(v.range, message);
    }
    if (!v.token.is(TokenKind::Identifier))
      return fail(v.range, "'decay' expects retnet, paper or a list [g0, g1, "
                           "...], got " +
                               describeValue(v));
    word = v.token.text;
    config.decay =
        word == "retnet" ? DecaySchedule::RetNet : DecaySchedule::Paper;
    return true;
  }
  config.decay = DecaySchedule::Explicit;
  for (auto [h, element] : llvm::enumerate(v.elements)) {
    double g;
    if (element.text.getAsDouble(g) || !(g > 0.0 && g < 1.0))
      return fail(element.range(),
                  "decay of head " + Twine(h) + " is " + element.text +
                      ", expected a value strictly between 0 and 1");
    config.decayValues.push_back(g);
  }
  return true;
}

bool Sema::run(ModelConfig &config) {
  if (!collect() || !checkRequired() ||
      !checkExclusive("key_dim", "expand_k") ||
      !checkExclusive("value_dim", "expand_v") ||
      !checkExclusive("ffn.width", "ffn.hidden_ratio"))
    return false;

  config = ModelConfig();
  config.name = model.name.text.str();
  if (!readInt("hidden", config.hiddenSize) ||
      !readInt("layers", config.numLayers) ||
      !readInt("heads", config.numHeads) || !readInt("vocab", config.vocabSize))
    return false;
  config.numKVHeads = config.numHeads;
  origin["kv_heads"] = valueRange("heads");
  if (!readInt("kv_heads", config.numKVHeads))
    return false;
  // The rest of the invariants are checked below, through problems(); the
  // divisibility of heads by kv_heads does not affect the derivations.
  if (!resolveHeadDim("key_dim", "expand_k", 1.0, config, config.headKDim) ||
      !resolveHeadDim("value_dim", "expand_v", 2.0, config, config.headVDim))
    return false;

  if (get("ffn.width")) {
    if (!readInt("ffn.width", config.intermediateSize))
      return false;
  } else {
    double ratio = 2.0;
    if (!readPositiveNumber("ffn.hidden_ratio", ratio))
      return false;
    origin["ffn.width"] = get("ffn.hidden_ratio")
                              ? valueRange("ffn.hidden_ratio")
                              : valueRange("hidden");
    std::optional<int64_t> width =
        deriveIntermediateSize(config.hiddenSize, ratio);
    if (!width)
      return fail(origin["ffn.width"],
                  "the FFN width hidden * hidden_ratio * 2/3 = " +
                      shortestDouble(config.hiddenSize * ratio * 2.0 / 3.0) +
                      " is far beyond the supported maximum of " +
                      Twine(kMaxIntermediateSize));
    config.intermediateSize = *width;
  }
  StringRef word;
  static const StringRef activations[] = {"swish", "silu"};
  if (const RetField *f = get("ffn.activation");
      f && !f->value.isList && f->value.token.is(TokenKind::Identifier) &&
      !llvm::is_contained(activations, f->value.token.text))
    return fail(f->value.range,
                "activation '" + f->value.token.text +
                    "' is not supported: the FFN is SwiGLU, whose activation "
                    "is swish (also spelled silu)");
  if (!readWord("ffn.activation", activations, "activation", word))
    return false;

  static const StringRef norms[] = {"rmsnorm"};
  if (const RetField *f = get("norm.kind");
      f && !f->value.isList && f->value.token.is(TokenKind::Identifier) &&
      f->value.token.text != "rmsnorm")
    return fail(f->value.range, "norm kind '" + f->value.token.text +
                                    "' is not supported: RetNet as "
                                    "flash-linear-attention defines it uses "
                                    "rmsnorm");
  if (!readWord("norm.kind", norms, "norm kind", word) ||
      !readNumber("norm.eps", config.normEps))
    return false;

  static const StringRef layouts[] = {"rotate_half", "interleaved"};
  if (!readNumber("rotary.base", config.rotaryBase))
    return false;
  word = "";
  if (!readWord("rotary.layout", layouts, "rotary layout", word))
    return false;
  if (word == "interleaved")
    config.rotaryLayout = RotaryLayout::Interleaved;

  // The default schedule's limit on heads is reported at 'heads'.
  origin["decay"] = valueRange("heads");
  if (!readDecay(config) ||
      !readBool("tie_embeddings", config.tieWordEmbeddings) ||
      !readBool("output_gate", config.useOutputGate))
    return false;
  static const StringRef dtypes[] = {"f32", "bf16", "f16"};
  word = "";
  if (!readWord("dtype", dtypes, "dtype", word))
    return false;
  if (word == "bf16")
    config.weightType = WeightType::BF16;
  else if (word == "f16")
    config.weightType = WeightType::F16;
  if (!readInt("chunk", config.chunkSizeHint, /*allowAuto=*/true))
    return false;

  std::vector<ModelConfig::Problem> problems = config.problems();
  if (!problems.empty()) {
    auto it = origin.find(problems.front().field);
    return fail(it != origin.end() ? it->second : model.name.range(),
                problems.front().message);
  }
  return true;
}

bool retc::frontend::resolveRetModel(const RetModel &model,
                                     SourceDiagnostics &diags,
                                     ModelConfig &config) {
  return Sema(model, diags).run(config);
}
