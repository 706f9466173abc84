//===- RuntimeTests.cpp - Unit checks of the retc runtime -------*- C++ -*-===//
//
// A self-checking program (no test framework): dtype conversions (exhaustive
// round trips; f16 against the compiler's _Float16 conversion, bf16 against a
// double-precision nearest-value reference), the .npy writer/reader round
// trip, and the package writer/reader round trip; CudaTests.cpp adds the
// CUDA backend's checks that need no GPU (error formatting, the cuda
// manifest, architecture rules, driver loading) and the CPU feature check;
// ModelTests.cpp the model side (safetensors, model manifests, weights,
// states, the C API).
// Prints one line per failure and exits non-zero if any check failed.
// Usage: retc-runtime-tests SCRATCH_DIR
//
//===----------------------------------------------------------------------===//
#include "runtime/DType.h"
#include "runtime/Npy.h"
#include "runtime/Sha256.h"
#include "runtime/package/CompiledFor.h"
#include "runtime/package/Package.h"
#include "runtime/tests/Check.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

using namespace retc::rt;

using test::checks;
using test::failures;

static uint32_t bitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}
static float floatOf(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

static void testF16() {
  // Exhaustive: every half converts to float and back unchanged (NaNs stay
  // NaNs), and agrees with the compiler's conversion.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = f16ToF32(static_cast<uint16_t>(h));
    _Float16 ref;
    uint16_t hb = static_cast<uint16_t>(h);
    std::memcpy(&ref, &hb, 2);
    bool isNaN = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    if (isNaN) {
      CHECK(std::isnan(f), "half %04x", h);
      CHECK(std::isnan(f16ToF32(f32ToF16(f))), "half %04x", h);
      continue;
    }
    CHECK(bitsOf(f) == bitsOf(static_cast<float>(ref)), "half %04x", h);
    CHECK(f32ToF16(f) == h, "half %04x -> %a -> %04x", h, f, f32ToF16(f));
  }
  // Random floats over every exponent, plus the halfway points between
  // adjacent halves (ties), against the compiler's rounding.
  std::mt19937 rng(1234);
  for (int i = 0; i < 2000000; ++i) {
    uint32_t b = rng();
    if (i % 4 == 0) // Bias towards the half range.
      b = (b & 0x807fffffu) | ((100u + rng() % 50u) << 23);
    float f = floatOf(b);
    if (std::isnan(f))
      continue;
    _Float16 ref = static_cast<_Float16>(f);
    uint16_t rb;
    std::memcpy(&rb, &ref, 2);
    CHECK(f32ToF16(f) == rb, "%a -> %04x, want %04x", f, f32ToF16(f), rb);
  }
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    double lo = f16ToF32(static_cast<uint16_t>(h));
    double hi = f16ToF32(static_cast<uint16_t>(h + 1));
    float mid = static_cast<float>((lo + hi) / 2); // exact in float
    uint16_t want = (h & 1) ? h + 1 : h;           // ties to even
    CHECK(f32ToF16(mid) == want, "tie above %04x", h);
  }
  CHECK(f32ToF16(65520.0f) == 0x7c00, "65520 overflows to inf");
  CHECK(f32ToF16(65519.0f) == 0x7bff, "65519 rounds to max half");
  CHECK(f32ToF16(-INFINITY) == 0xfc00, "-inf");
  CHECK(f32ToF16(-0.0f) == 0x8000, "-0");
  CHECK(f32ToF16(std::ldexp(1.0f, -25)) == 0, "2^-25 ties to zero");
  CHECK(f32ToF16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 1,
        "just above 2^-25 rounds to the smallest subnormal");
}

/// Nearest bfloat16 by comparing the two candidates in double precision
/// (ties to even); an independent check of the bit trick in DType.cpp.
static uint16_t referenceBF16(float f) {
  uint32_t b = bitsOf(f);
  uint16_t lo = static_cast<uint16_t>(b >> 16); // truncation, towards zero
  uint16_t hi = static_cast<uint16_t>(lo + 1);  // next away from zero
  if ((b & 0xffffu) == 0)
    return lo;
  double x = std::fabs(static_cast<double>(f));
  double dlo = std::fabs(static_cast<double>(bf16ToF32(lo)));
  double dhi = std::fabs(static_cast<double>(bf16ToF32(hi))); // may be inf
  if (std::isinf(dhi)) // Past the largest finite bf16: IEEE rounds by the
    dhi = std::ldexp(1.0, 128); // unbounded exponent, 2^128.
  if (x - dlo < dhi - x)
    return lo;
  if (x - dlo > dhi - x)
    return hi;
  return (lo & 1) ? hi : lo;
}

static void testBF16() {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = bf16ToF32(static_cast<uint16_t>(h));
    CHECK(bitsOf(f) == h << 16, "bf16 %04x", h);
    if (std::isnan(f))
      CHECK(std::isnan(bf16ToF32(f32ToBF16(f))), "bf16 nan %04x", h);
    else
      CHECK(f32ToBF16(f) == h, "bf16 %04x", h);
  }
  std::mt19937 rng(99);
  for (int i = 0; i < 2000000; ++i) {
    float f = floatOf(rng());
    if (std::isnan(f)) {
      CHECK(std::isnan(bf16ToF32(f32ToBF16(f))), "nan %08x", bitsOf(f));
      continue;
    }
    uint16_t rb = referenceBF16(f);
    CHECK(f32ToBF16(f) == rb, "%a -> %04x, want %04x", f, f32ToBF16(f), rb);
  }
  // Signalling NaN whose payload sits only in the low bits stays a NaN.
  CHECK(std::isnan(bf16ToF32(f32ToBF16(floatOf(0x7f800001u)))), "low NaN");
  CHECK(f32ToBF16(floatOf(0x7f7fffffu)) == 0x7f80, "max float -> inf");
}

static void testNpy(const std::string &dir) {
  std::vector<std::vector<int64_t>> shapes = {{}, {7}, {2, 3, 4}, {1, 1, 1, 5}};
  for (const auto &shape : shapes) {
    size_t n = 1;
    for (int64_t d : shape)
      n *= d;
    std::vector<float> data(n);
    for (size_t i = 0; i < n; ++i)
      data[i] = 0.5f * i - 3.25f;
    std::string path = dir + "/rt" + std::to_string(shape.size()) + ".npy";
    Error err = writeNpy(path, shape, data.data());
    CHECK(!err, "%s", err.message().c_str());
    Expected<NpyArray> back = readNpy(path);
    CHECK(back, "%s", back.message().c_str());
    if (back) {
      CHECK(back->shape == shape, "shape %s", formatShape(back->shape).c_str());
      CHECK(back->data == data, "data");
      CHECK(back->descr == "<f4", "descr %s", back->descr.c_str());
    }
  }
  Expected<NpyArray> missing = readNpy(dir + "/does-not-exist.npy");
  CHECK(!missing && missing.message().find("cannot open") != std::string::npos,
        "%s", missing.message().c_str());
}

static Manifest sampleManifest() {
  Manifest m;
  m.producer = "retc-runtime-tests";
  m.target.triple = "x86_64-unknown-linux-gnu";
  m.target.cpu = "znver5";
  m.target.features = "+avx2";
  KernelDesc k;
  k.name = "retention";
  k.form = KernelForm::Chunkwise;
  k.chunkSize = 8;
  k.entry = "retention_chunkwise";
  k.blob = "kernel.so";
  k.dtype = DType::BF16;
  k.shape = {2, 5, 3, 4, 6};
  k.decay = {1 - 1.0 / 32, 1 - 1.0 / 64, 1 - 1.0 / 128};
  k.scale = 0.5;
  auto add = [&](const char *name, ParamRole role, DType type,
                 std::vector<int64_t> shape) {
    k.params.push_back({name, role, type, std::move(shape)});
  };
  add("q", ParamRole::Input, DType::BF16, {2, 5, 3, 4});
  add("k", ParamRole::Input, DType::BF16, {2, 5, 3, 4});
  add("v", ParamRole::Input, DType::BF16, {2, 5, 3, 6});
  add("s0", ParamRole::Input, DType::F32, {2, 3, 4, 6});
  add("o", ParamRole::Output, DType::BF16, {2, 5, 3, 6});
  add("state", ParamRole::Output, DType::F32, {2, 3, 4, 6});
  m.kernels.push_back(k);
  return m;
}

/// SHA-256 against FIPS 180-4's examples, given whole and in pieces.
static void testSha256() {
  struct Case {
    std::string text;
    const char *hex;
  };
  const Case cases[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const Case &c : cases) {
    std::string whole = toHex(sha256(c.text.data(), c.text.size()));
    Sha256 pieces;
    for (size_t at = 0; at < c.text.size(); at += 61)
      pieces.update(c.text.data() + at,
                    std::min<size_t>(61, c.text.size() - at));
    std::string pieced = toHex(pieces.digest());
    CHECK(whole == c.hex && pieced == c.hex, "sha256 of %zu bytes: %s, %s",
          c.text.size(), whole.c_str(), pieced.c_str());
    std::optional<Sha256Digest> parsed = parseSha256Hex(c.hex);
    CHECK(parsed && toHex(*parsed) == c.hex, "hex round trip");
  }
  CHECK(!parseSha256Hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB4"
                        "10FF61F20015AD") &&
            !parseSha256Hex("ba78") && !parseSha256Hex(std::string(64, 'g')),
        "only 64 lowercase hex digits parse");
}

static void testPackage(const std::string &dir) {
  Manifest m = sampleManifest();
  BlobMap blobs;
  blobs["kernel.so"] = std::vector<uint8_t>(1000, 0xab);
  blobs["extra"] = {1, 2, 3};
  std::string path = dir + "/sample.retpkg";
  Error err = writePackage(path, m, blobs);
  CHECK(!err, "%s", err.message().c_str());
  Expected<Package> pkg = readPackage(path);
  CHECK(pkg, "%s", pkg.message().c_str());
  if (!pkg)
    return;
  const Manifest &r = pkg->manifest;
  CHECK(r.producer == m.producer, "producer");
  CHECK(r.target.cpu == "znver5" && r.target.features == "+avx2", "target");
  CHECK(r.kernels.size() == 1, "kernels");
  const KernelDesc &k = r.kernels[0];
  CHECK(k.decay == m.kernels[0].decay, "decay round-trips exactly");
  CHECK(k.scale == 0.5 && k.chunkSize == 8 && k.dtype == DType::BF16, "k");
  CHECK(k.params.size() == 6 && k.params[3].name == "s0", "params");
  CHECK(r.blobs.size() == 2, "blobs");
  for (const BlobDesc &b : r.blobs) {
    CHECK(b.offset % kBlobAlignment == 0, "alignment %llu",
          (unsigned long long)b.offset);
    const std::vector<uint8_t> &want = blobs[b.name];
    CHECK(b.size == want.size() &&
              std::memcmp(pkg->blobData(b), want.data(), want.size()) == 0,
          "blob %s", b.name.c_str());
  }

  // The writer refuses a manifest the reader would reject.
  Manifest bad = m;
  bad.kernels[0].decay.pop_back();
  err = writePackage(dir + "/bad.retpkg", bad, blobs);
  CHECK(err && err.message().find("one per head") != std::string::npos, "%s",
        err.message().c_str());
  bad = m;
  bad.kernels[0].params[0].shape[3] = 5;
  err = writePackage(dir + "/bad.retpkg", bad, blobs);
  CHECK(err && err.message().find("kernels[0].params[0].shape") !=
                   std::string::npos,
        "%s", err.message().c_str());
  err = writePackage(dir + "/bad.retpkg", m, {});
  CHECK(err && err.message().find("kernels[0].blob") != std::string::npos, "%s",
        err.message().c_str());

  // What the code records is made from the manifest; the manifest read back
  // makes the same text (numbers keep every bit through JSON), and any
  // difference names the field.
  Manifest awkward = m;
  awkward.kernels[0].decay = {0.1, 1.0 / 3.0, 0.9999999999999999};
  awkward.kernels[0].scale = 1.0 / std::sqrt(7.0);
  err = writePackage(dir + "/awkward.retpkg", awkward, blobs);
  Expected<Package> reread = readPackage(dir + "/awkward.retpkg");
  CHECK(!err && reread, "%s %s", err.message().c_str(),
        reread.message().c_str());
  std::string record = describeCompiledFor(awkward, "kernel.so");
  if (reread)
    CHECK(describeCompiledFor(reread->manifest, "kernel.so") == record,
          "the record survives the manifest's round trip");
  CHECK(record.find("kernels[0].scale 0.3779644730092272\n") !=
                std::string::npos &&
            describeCompiledFor(awkward, "extra") ==
                describeCompiledFor(
                    Manifest{
                        awkward.producer, awkward.target, {}, std::nullopt, {}},
                    "extra"),
        "17 digits; a blob without kernels records only the target: %s",
        record.c_str());
  CHECK(!checkCompiledFor(record, record, "b"), "equal records agree");
  struct Mismatch {
    std::string recorded;
    const char *message;
  };
  std::string swapped = record;
  swapped.replace(swapped.find("bf16"), 4, "f16 ");
  const Mismatch mismatches[] = {
      {"retc-compiled-for 2\n", "b records what it was compiled for as "
                                "'retc-compiled-for 2', which this runtime "
                                "does not read (it reads 'retc-compiled-for "
                                "1')"},
      {swapped, "b was compiled for something other than the manifest "
                "describes: manifest field 'kernels[0].dtype' is \"bf16\" "
                "where the code has \"f16 \""},
      {record.substr(0, record.find("kernels[0].params[5]")),
       "manifest field 'kernels[0].params[5]' is \"state output f32 "
       "[2,3,4,6]\", which the code does not have"},
      {record + "kernels[0].extra x\n",
       "the code has 'kernels[0].extra' \"x\", which the manifest lacks"},
  };
  for (const Mismatch &c : mismatches) {
    Error mismatch = checkCompiledFor(record, c.recorded, "b");
    CHECK(mismatch && mismatch.message().find(c.message) != std::string::npos,
          "%s (want %s)", mismatch.message().c_str(), c.message);
  }

  // Every byte is checked: one changed anywhere is refused, naming the
  // member it belongs to.
  std::vector<uint8_t> file;
  {
    std::ifstream in(path, std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), {});
  }
  const BlobDesc *so = r.findBlob("kernel.so");
  struct Damage {
    size_t offset;
    const char *message;
  };
  const Damage damages[] = {
      {60, "the manifest is corrupt (its SHA-256 does not match the one in "
           "the package header)"},
      {30, "the manifest is corrupt"},
      {size_t(so->offset - 1), "the padding before blob 'kernel.so'"},
      {size_t(so->offset + 500), "blob 'kernel.so' is corrupt (its SHA-256 "
                                 "does not match the manifest's)"},
  };
  for (const Damage &d : damages) {
    std::vector<uint8_t> copy = file;
    copy[d.offset] ^= 0x01;
    std::ofstream(dir + "/damaged.retpkg", std::ios::binary)
        .write(reinterpret_cast<const char *>(copy.data()), copy.size());
    Expected<Package> damaged = readPackage(dir + "/damaged.retpkg");
    CHECK(!damaged && damaged.message().find(d.message) != std::string::npos,
          "byte %zu flipped: %s", d.offset, damaged.message().c_str());
  }
  file.push_back(0);
  std::ofstream(dir + "/damaged.retpkg", std::ios::binary)
      .write(reinterpret_cast<const char *>(file.data()), file.size());
  Expected<Package> longer = readPackage(dir + "/damaged.retpkg");
  CHECK(!longer && longer.message().find("trailing bytes: 1 bytes follow "
                                         "the last blob") != std::string::npos,
        "%s", longer.message().c_str());
}

/// A linear kernel's manifest: written, read back with its kind, sizes and
/// parameters; its record names the kind; the writer refuses retention
/// fields on it and parameters its sizes do not make.
static void testLinearPackage(const std::string &dir) {
  Manifest m;
  m.producer = "test";
  m.target.triple = "x86_64-pc-linux-gnu";
  KernelDesc k;
  k.name = k.entry = "linear";
  k.kind = KernelKind::Linear;
  k.blob = "kernel.so";
  k.dtype = DType::BF16;
  k.linear = {3, 5, 7};
  k.params = {{"x", ParamRole::Input, DType::BF16, {3, 7}},
              {"weight", ParamRole::Input, DType::BF16, {5, 7}},
              {"residual", ParamRole::Input, DType::BF16, {3, 5}},
              {"y", ParamRole::Output, DType::BF16, {3, 5}}};
  m.kernels.push_back(k);
  BlobMap blobs;
  blobs["kernel.so"] = std::vector<uint8_t>(100, 0xcd);
  Error err = writePackage(dir + "/linear.retpkg", m, blobs);
  CHECK(!err, "%s", err.message().c_str());
  Expected<Package> pkg = readPackage(dir + "/linear.retpkg");
  CHECK(pkg, "%s", pkg.message().c_str());
  if (pkg) {
    const KernelDesc &r = pkg->manifest.kernels[0];
    CHECK(r.kind == KernelKind::Linear && r.linear.M == 3 &&
              r.linear.N == 5 && r.linear.K == 7 && r.params.size() == 4 &&
              r.params[2].name == "residual",
          "linear kernel round trip");
    CHECK(describeCompiledFor(pkg->manifest, "kernel.so") ==
              describeCompiledFor(m, "kernel.so"),
          "the linear record survives the round trip");
  }
  std::string record = describeCompiledFor(m, "kernel.so");
  CHECK(record.find("kernels[0].kind linear\n") != std::string::npos &&
            record.find("kernels[0].shape M=3 N=5 K=7\n") !=
                std::string::npos &&
            record.find(".form") == std::string::npos,
        "linear record: %s", record.c_str());

  struct Bad {
    void (*edit)(KernelDesc &);
    const char *message;
  };
  const Bad bads[] = {
      {[](KernelDesc &b) { b.decay = {0.5}; },
       "manifest field 'kernels[0].decay' applies to retention kernels, not "
       "to a linear kernel"},
      {[](KernelDesc &b) { b.params[1].shape = {5, 6}; },
       "manifest field 'kernels[0].params[1].shape' is [5,6] but the kernel "
       "shape (M=3 N=5 K=7) makes 'weight' [5,7]"},
      {[](KernelDesc &b) { b.params[0].name = "q"; },
       "manifest field 'kernels[0].params[0].name' is 'q', not a linear "
       "parameter (x, weight, residual, y)"},
      {[](KernelDesc &b) { b.params.pop_back(); },
       "manifest field 'kernels[0].params' lacks the required parameter 'y'"},
      {[](KernelDesc &b) { b.linear.N = 0; },
       "manifest field 'kernels[0].shape.N' must be in [1, 2^31], not 0"},
  };
  for (const Bad &b : bads) {
    Manifest bad = m;
    b.edit(bad.kernels[0]);
    err = writePackage(dir + "/bad-linear.retpkg", bad, blobs);
    CHECK(err && err.message().find(b.message) != std::string::npos,
          "%s (want %s)", err.message().c_str(), b.message);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SCRATCH-DIR (files are written there)\n",
                 argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  testF16();
  testBF16();
  testNpy(dir);
  testSha256();
  testPackage(dir);
  testLinearPackage(dir);
  test::testCuda(dir);
  test::testCpuFeatures();
  test::testModel(dir);
  test::testGpuModel(dir);
  if (test::cudaDeclsChecked())
    std::printf("cuda.h: the driver declarations match the toolkit's\n");
  std::printf("%s: %d checks, %d failures\n", failures ? "FAIL" : "PASS",
              checks, failures);
  return failures ? 1 : 0;
}
