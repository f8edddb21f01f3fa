#pragma once
// spdlog set-up: one named logger per component ("connector.token", "sink.file-main"), all sharing
// one stderr sink, text or JSON lines, UTC timestamps. Every line passes through redactSecrets().
// Call setupLogging() once in main() before any logger is created; getLogger() is thread-safe.
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace o365fwd {

enum class LogFormat { kText, kJson };

struct LogOptions {
  std::string level = "info";  // trace | debug | info | warn | error
  LogFormat format = LogFormat::kText;
};

void setupLogging(const LogOptions& options);
// Changes the level of every logger (SIGHUP reload).
void setLogLevel(const std::string& level);
std::shared_ptr<spdlog::logger> getLogger(std::string_view component);
bool isValidLogLevel(std::string_view level);

}  // namespace o365fwd
