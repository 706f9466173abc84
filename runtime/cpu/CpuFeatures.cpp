//===- CpuFeatures.cpp - Does this CPU have what a package needs? -*- C++ -*-=//
//
// Detection reads cpuid directly (rather than __builtin_cpu_supports, whose
// list of names differs between compilers) and checks XCR0 for the register
// state the OS saves: AVX needs the YMM state, AVX-512 the opmask and ZMM
// state, AMX the tile state.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuFeatures.h"

#include <cstdint>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define RETC_X86 1
#endif

namespace retc::rt {

namespace {

/// Splits a comma-separated list, dropping empty items and blanks.
std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> items;
  std::string item;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      if (!item.empty())
        items.push_back(item);
      item.clear();
    } else if (text[i] != ' ' && text[i] != '\t') {
      item += text[i];
    }
  }
  return items;
}

#ifdef RETC_X86
enum Reg { EAX, EBX, ECX, EDX };
enum : uint64_t {
  kNoState = 0,
  kAvxState = 0x6,     // XMM, YMM
  kAvx512State = 0xe6, // + opmask, ZMM_Hi256, Hi16_ZMM
  kAmxState = 0x60000, // XTILECFG, XTILEDATA
};

/// Where cpuid reports a feature, and the OS state it needs.
struct FeatureBit {
  const char *name;
  unsigned leaf, subleaf;
  Reg reg;
  unsigned bit;
  uint64_t state;
};

constexpr FeatureBit kFeatures[] = {
    {"sse", 1, 0, EDX, 25, kNoState},
    {"sse2", 1, 0, EDX, 26, kNoState},
    {"sse3", 1, 0, ECX, 0, kNoState},
    {"pclmul", 1, 0, ECX, 1, kNoState},
    {"ssse3", 1, 0, ECX, 9, kNoState},
    {"fma", 1, 0, ECX, 12, kAvxState},
    {"cx16", 1, 0, ECX, 13, kNoState},
    {"sse4.1", 1, 0, ECX, 19, kNoState},
    {"sse4.2", 1, 0, ECX, 20, kNoState},
    {"movbe", 1, 0, ECX, 22, kNoState},
    {"popcnt", 1, 0, ECX, 23, kNoState},
    {"aes", 1, 0, ECX, 25, kNoState},
    {"xsave", 1, 0, ECX, 26, kNoState},
    {"avx", 1, 0, ECX, 28, kAvxState},
    {"f16c", 1, 0, ECX, 29, kAvxState},
    {"rdrnd", 1, 0, ECX, 30, kNoState},
    {"bmi", 7, 0, EBX, 3, kNoState},
    {"avx2", 7, 0, EBX, 5, kAvxState},
    {"bmi2", 7, 0, EBX, 8, kNoState},
    {"avx512f", 7, 0, EBX, 16, kAvx512State},
    {"avx512dq", 7, 0, EBX, 17, kAvx512State},
    {"rdseed", 7, 0, EBX, 18, kNoState},
    {"adx", 7, 0, EBX, 19, kNoState},
    {"avx512ifma", 7, 0, EBX, 21, kAvx512State},
    {"avx512cd", 7, 0, EBX, 28, kAvx512State},
    {"sha", 7, 0, EBX, 29, kNoState},
    {"avx512bw", 7, 0, EBX, 30, kAvx512State},
    {"avx512vl", 7, 0, EBX, 31, kAvx512State},
    {"avx512vbmi", 7, 0, ECX, 1, kAvx512State},
    {"avx512vbmi2", 7, 0, ECX, 6, kAvx512State},
    {"gfni", 7, 0, ECX, 8, kNoState},
    {"vaes", 7, 0, ECX, 9, kAvxState},
    {"vpclmulqdq", 7, 0, ECX, 10, kAvxState},
    {"avx512vnni", 7, 0, ECX, 11, kAvx512State},
    {"avx512bitalg", 7, 0, ECX, 12, kAvx512State},
    {"avx512vpopcntdq", 7, 0, ECX, 14, kAvx512State},
    {"avx512vp2intersect", 7, 0, EDX, 8, kAvx512State},
    {"amx-bf16", 7, 0, EDX, 22, kAmxState},
    {"avx512fp16", 7, 0, EDX, 23, kAvx512State},
    {"amx-tile", 7, 0, EDX, 24, kAmxState},
    {"amx-int8", 7, 0, EDX, 25, kAmxState},
    {"avxvnni", 7, 1, EAX, 4, kAvxState},
    {"avx512bf16", 7, 1, EAX, 5, kAvx512State},
    {"lzcnt", 0x80000001, 0, ECX, 5, kNoState},
    {"sse4a", 0x80000001, 0, ECX, 6, kNoState},
    {"fma4", 0x80000001, 0, ECX, 16, kAvxState},
};

/// XCR0, or 0 if the OS has not enabled XSAVE.
uint64_t xcr0() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) // OSXSAVE
    return 0;
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool detect(const FeatureBit &feature) {
  unsigned regs[4] = {0, 0, 0, 0};
  unsigned maxLeaf = __get_cpuid_max(feature.leaf & 0x80000000u, nullptr);
  if (maxLeaf < feature.leaf)
    return false;
  __cpuid_count(feature.leaf, feature.subleaf, regs[EAX], regs[EBX], regs[ECX],
                regs[EDX]);
  if (!(regs[feature.reg] & (1u << feature.bit)))
    return false;
  return (xcr0() & feature.state) == feature.state;
}
#endif

} // namespace

std::optional<bool> hostHasCpuFeature(std::string_view name) {
#ifdef RETC_X86
  for (const FeatureBit &feature : kFeatures) {
    if (name != feature.name)
      continue;
    if (const char *override = std::getenv("RETC_CPU_FEATURES_OVERRIDE")) {
      for (const std::string &item : splitList(override))
        if (std::string_view(item).substr(item[0] == '+' ? 1 : 0) == name)
          return true;
      return false;
    }
    return detect(feature);
  }
#else
  (void)name;
#endif
  return std::nullopt;
}

std::vector<std::string> missingCpuFeatures(std::string_view features) {
  std::vector<std::string> missing;
  for (const std::string &item : splitList(features)) {
    if (item[0] == '-')
      continue;
    std::string name = item[0] == '+' ? item.substr(1) : item;
    std::optional<bool> has = hostHasCpuFeature(name);
    if (has && !*has)
      missing.push_back(name);
  }
  return missing;
}

} // namespace retc::rt
