#pragma once
// --request-log: one NDJSON line per request {method, path, query, status, has_authorization,
// publisher_identifier}. Never writes a token, a secret or a body: query values named
// client_secret, client_assertion or access_token are replaced by "***". Each line is flushed.
// Thread-safe.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/result.h"

namespace o365fwd::sim {

class RequestLog {
 public:
  RequestLog() = default;
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  Status open(const std::string& path);
  bool enabled() const { return file_ != nullptr; }
  void write(const std::string& method, const std::string& path, const std::string& query,
             int status, bool has_authorization, const std::string& publisher_identifier,
             std::int64_t at_ms = 0);

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
};

}  // namespace o365fwd::sim
