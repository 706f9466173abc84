//===- Status.h - Error values for the retc runtime -------------*- C++ -*-===//
//
// The runtime reports every failure as a value: an `Error` carrying a
// one-line message of the form `<file>: <problem>`, or an `Expected<T>` that
// holds either a result or an `Error`. No exception crosses the public API
// and nothing aborts on bad input.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_STATUS_H
#define RETC_RUNTIME_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace retc::rt {

/// The outcome of an operation that returns nothing: success, or a failure
/// with a one-line message. Like `llvm::Error`, it converts to `true` when it
/// holds a failure:
/// \code
///   if (Error err = writePackage(path, manifest, blobs))
///     return err;
/// \endcode
class [[nodiscard]] Error {
public:
  /// A success value.
  Error() = default;
  /// A success value (reads better at return sites).
  static Error success() { return Error(); }
  /// A failure with the message `message` (one line, no trailing newline).
  static Error failure(std::string message) {
    Error err;
    err.failed = true;
    err.msg = std::move(message);
    return err;
  }
  /// A failure with the message `<file>: <problem>`.
  static Error atFile(const std::string &file, const std::string &problem) {
    return failure(file + ": " + problem);
  }

  /// True if this is a failure.
  explicit operator bool() const { return failed; }
  /// The failure message; empty on success.
  const std::string &message() const { return msg; }

private:
  bool failed = false;
  std::string msg;
};

/// Either a value of type `T` or an `Error`. Like `llvm::Expected`, it
/// converts to `true` when it holds a value:
/// \code
///   Expected<Package> pkg = readPackage(path);
///   if (!pkg)
///     return pkg.error();
///   use(*pkg);
/// \endcode
template <typename T> class [[nodiscard]] Expected {
public:
  /// Holds a value.
  Expected(T value) : value(std::move(value)) {}
  /// Holds a failure; `err` must be a failure.
  Expected(Error err) : err(std::move(err)) {
    assert(this->err && "Expected built from a success Error");
  }

  /// True if this holds a value.
  explicit operator bool() const { return value.has_value(); }
  /// The failure; a success `Error` if this holds a value.
  const Error &error() const { return err; }
  /// The failure message; empty if this holds a value.
  const std::string &message() const { return err.message(); }

  /// The value; this must hold one.
  T &operator*() { return *value; }
  const T &operator*() const { return *value; }
  /// Member access to the value; this must hold one.
  T *operator->() { return &*value; }
  const T *operator->() const { return &*value; }
  /// Moves the value out; this must hold a value.
  T take() { return std::move(*value); }

private:
  std::optional<T> value;
  Error err;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_STATUS_H
