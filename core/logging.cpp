#include "core/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>

#include "core/secrets/redact.h"

namespace o365fwd {
namespace {

std::mutex g_mu;
LogOptions g_options;
std::shared_ptr<spdlog::sinks::sink> g_sink;

void appendJsonEscaped(std::string_view in, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : in) {
    switch (c) {
      case '"': dest.append(std::string_view("\\\"")); break;
      case '\\': dest.append(std::string_view("\\\\")); break;
      case '\n': dest.append(std::string_view("\\n")); break;
      case '\r': dest.append(std::string_view("\\r")); break;
      case '\t': dest.append(std::string_view("\\t")); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[6] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xF], kHex[c & 0xF]};
          dest.append(buf, buf + 6);
        } else {
          dest.push_back(c);
        }
    }
  }
}

// %* : the message, secrets redacted, as plain text.
class RedactedText final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string clean = redactSecrets(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(clean.data(), clean.data() + clean.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RedactedText>();
  }
};

// %& : the message, secrets redacted, escaped for a JSON string.
class RedactedJson final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    appendJsonEscaped(redactSecrets(std::string_view(msg.payload.data(), msg.payload.size())),
                      dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RedactedJson>();
  }
};

std::unique_ptr<spdlog::formatter> makeFormatter(LogFormat format) {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<RedactedText>('*');
  f->add_flag<RedactedJson>('&');
  if (format == LogFormat::kJson)
    f->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%&"})");
  else
    f->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l [%n] %*");
  return f;
}

}  // namespace

bool isValidLogLevel(std::string_view level) {
  return level == "trace" || level == "debug" || level == "info" || level == "warn" ||
         level == "error";
}

void setupLogging(const LogOptions& options) {
  std::lock_guard lock(g_mu);
  g_options = options;
  g_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  g_sink->set_formatter(makeFormatter(options.format));
  spdlog::drop_all();
  spdlog::set_level(spdlog::level::from_str(options.level));
}

void setLogLevel(const std::string& level) {
  std::lock_guard lock(g_mu);
  g_options.level = level;
  spdlog::set_level(spdlog::level::from_str(level));
}

std::shared_ptr<spdlog::logger> getLogger(std::string_view component) {
  std::lock_guard lock(g_mu);
  std::string name(component);
  if (auto existing = spdlog::get(name)) return existing;
  if (!g_sink) {
    g_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    g_sink->set_formatter(makeFormatter(g_options.format));
  }
  auto logger = std::make_shared<spdlog::logger>(name, g_sink);
  logger->set_level(spdlog::level::from_str(g_options.level));
  logger->flush_on(spdlog::level::trace);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace o365fwd
