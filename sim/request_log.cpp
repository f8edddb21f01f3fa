#include "sim/request_log.h"

#include <cerrno>
#include <cstring>

#include "sim/json_text.h"

namespace o365fwd::sim {
namespace {

// Masks the values of secret-bearing parameters in a query string.
std::string maskQuery(const std::string& query) {
  std::string out;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    std::string part = query.substr(pos, end - pos);
    size_t eq = part.find('=');
    std::string name = part.substr(0, eq);
    if (eq != std::string::npos && (name == "client_secret" || name == "client_assertion" ||
                                    name == "access_token" || name == "code"))
      part = name + "=***";
    out += (out.empty() ? "" : "&") + part;
    pos = end + 1;
  }
  return out;
}

}  // namespace

RequestLog::~RequestLog() {
  if (file_ != nullptr) std::fclose(file_);
}

Status RequestLog::open(const std::string& path) {
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr)
    return Error::permanent(ErrorKind::kIo,
                            "cannot open request log " + path + ": " + std::strerror(errno));
  return okStatus();
}

void RequestLog::write(const std::string& method, const std::string& path, const std::string& query,
                       int status, bool has_authorization,
                       const std::string& publisher_identifier, std::int64_t at_ms) {
  if (file_ == nullptr) return;
  std::string line = "{\"method\":" + jsonString(method) + ",\"path\":" + jsonString(path) +
                     ",\"query\":" + jsonString(maskQuery(query)) +
                     ",\"status\":" + std::to_string(status) +
                     ",\"has_authorization\":" + (has_authorization ? "true" : "false") +
                     ",\"publisher_identifier\":" + jsonString(publisher_identifier) +
                     ",\"at_ms\":" + std::to_string(at_ms) + "}\n";
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace o365fwd::sim
