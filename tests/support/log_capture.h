#pragma once
// Captures what one component's logger writes, at debug level, for the lifetime of the object
// (unit tests). Restores the logger's sinks and level on destruction. One owning thread; the
// logger may write from any thread (the sink is the _mt one).
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "core/logging.h"

namespace o365fwd::testing {

class LogCapture {
 public:
  explicit LogCapture(std::string_view component)
      : logger_(getLogger(component)), level_(logger_->level()) {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    logger_->sinks().push_back(sink_);
    logger_->set_level(spdlog::level::debug);
  }
  ~LogCapture() {
    auto& sinks = logger_->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    logger_->set_level(level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const {
    sink_->flush();
    return out_.str();
  }
  // How many times `needle` occurs in what was captured.
  size_t count(std::string_view needle) const {
    std::string all = text();
    size_t n = 0;
    for (size_t at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
  spdlog::level::level_enum level_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace o365fwd::testing
