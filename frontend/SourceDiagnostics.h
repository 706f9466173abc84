//===- SourceDiagnostics.h - clang-style source diagnostics -*- C++ -*-===//
//
// Errors and notes that point into a source buffer held by an llvm::SourceMgr:
// `file:line:col: error: message`, the offending line and a caret (with `~`
// under the rest of the offending token), exactly as clang prints them; a
// line too long to quote is left out. Used
// by the `.ret` parser and checks and by the config.json reader.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_SOURCEDIAGNOSTICS_H
#define RETC_FRONTEND_SOURCEDIAGNOSTICS_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace retc::frontend {

/// Prints diagnostics about the buffers of one SourceMgr to a stream and
/// remembers whether any error was printed.
class SourceDiagnostics {
public:
  SourceDiagnostics(llvm::SourceMgr &sourceMgr, llvm::raw_ostream &os)
      : sourceMgr(sourceMgr), os(os) {}

  /// An error at `range.Start`, underlining the whole range.
  void error(llvm::SMRange range, const llvm::Twine &message) {
    print(range, llvm::SourceMgr::DK_Error, message);
    failed = true;
  }
  void error(llvm::SMLoc loc, const llvm::Twine &message) {
    error(llvm::SMRange(loc, loc), message);
  }
  /// A note that follows an error (for example "first given here").
  void note(llvm::SMRange range, const llvm::Twine &message) {
    print(range, llvm::SourceMgr::DK_Note, message);
  }

  bool hadError() const { return failed; }
  llvm::SourceMgr &getSourceMgr() { return sourceMgr; }

  /// Lines longer than this are not quoted: the message alone is printed,
  /// on one line (a minified or hostile file may be one line of megabytes).
  static constexpr size_t kMaxQuotedLine = 1000;

private:
  void print(llvm::SMRange range, llvm::SourceMgr::DiagKind kind,
             const llvm::Twine &message) {
    llvm::SmallVector<llvm::SMRange, 1> ranges;
    if (range.Start != range.End)
      ranges.push_back(range);
    const llvm::SMDiagnostic diag =
        sourceMgr.GetMessage(range.Start, kind, message, ranges);
    if (diag.getLineContents().size() <= kMaxQuotedLine) {
      sourceMgr.PrintMessage(os, diag);
      return;
    }
    os << diag.getFilename() << ':' << diag.getLineNo() << ':'
       << diag.getColumnNo() + 1 << ": "
       << (kind == llvm::SourceMgr::DK_Error ? "error" : "note") << ": "
       << diag.getMessage() << '\n';
  }

  llvm::SourceMgr &sourceMgr;
  llvm::raw_ostream &os;
  bool failed = false;
};

} // namespace retc::frontend

#endif // RETC_FRONTEND_SOURCEDIAGNOSTICS_H
