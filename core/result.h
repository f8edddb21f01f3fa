#pragma once
// Errors as values. An Error is classified (kind, retryable) where it is detected; callers decide
// policy from the classification, never from the message text. Result<T> holds a T or an Error.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace o365fwd {

enum class ErrorKind {
  kConfig,      // configuration is wrong; the operator must change it
  kTransport,   // DNS, connect, TLS, timeout, reset
  kHttp,        // an HTTP status the API did not explain with a known code
  kAuth,        // token acquisition failed or the token was refused
  kPermission,  // authenticated but not allowed (AF10001, missing role)
  kThrottled,   // AF429 / HTTP 429
  kApi,         // a documented API error code (AFxxxxx), see Error::code
  kIo,          // local file system / sqlite
  kCorrupt,     // a body that is not what the contract says (bad JSON, wrong shape)
  kSink,        // a sink could not take the data
  kCancelled,   // a stop was requested
  kInternal,    // a bug
};

const char* toString(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  bool retryable = false;
  std::string message;  // operator-facing sentence; never contains a secret
  std::string code;     // machine code when one exists: "AF20022", "AADSTS7000215", "HTTP 503"
  std::optional<std::chrono::seconds> retry_after;  // from Retry-After, if the server sent one

  static Error permanent(ErrorKind kind, std::string message, std::string code = {}) {
    return Error{kind, false, std::move(message), std::move(code), std::nullopt};
  }
  static Error retryableError(ErrorKind kind, std::string message, std::string code = {}) {
    return Error{kind, true, std::move(message), std::move(code), std::nullopt};
  }
  // "AF20022: No subscription found..." or just the message when there is no code.
  std::string describe() const { return code.empty() ? message : code + ": " + message; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  const Error& error() const { return std::get<1>(v_); }
  Error&& takeError() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status okStatus() { return Status(Unit{}); }

}  // namespace o365fwd
