//===- TokenList.h - Token id lists of retc-run -----------------*- C++ -*-===//
//
// The syntax of a list of token ids on retc-run's command line (--tokens)
// and in its batch schedules: "5,17,3".
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_RETC_RUN_TOKENLIST_H
#define RETC_TOOLS_RETC_RUN_TOKENLIST_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retc::run {

/// Parses "5,17,3": comma-separated decimal integers, at least one. Values
/// outside int32 are kept (and refused later against the vocabulary).
/// Messages start "--tokens: ".
rt::Expected<std::vector<int64_t>> parseTokens(const std::string &text);

} // namespace retc::run

#endif // RETC_TOOLS_RETC_RUN_TOKENLIST_H
