#include "core/config/config.h"

#include <cctype>
#include <set>

namespace o365fwd {

const char* toString(Cloud cloud) {
  switch (cloud) {
    case Cloud::kCommercial: return "commercial";
    case Cloud::kGcc: return "gcc";
    case Cloud::kGccHigh: return "gcc-high";
    case Cloud::kDod: return "dod";
  }
  return "commercial";
}

const char* toString(SinkType type) {
  switch (type) {
    case SinkType::kFile: return "file";
    case SinkType::kKafka: return "kafka";
    case SinkType::kSyslog: return "syslog";
  }
  return "file";
}

const char* toString(MetricsDetail detail) {
  switch (detail) {
    case MetricsDetail::kStream: return "stream";
    case MetricsDetail::kTenant: return "tenant";
    case MetricsDetail::kTotal: return "total";
  }
  return "stream";
}

std::string defaultLoginUrl(Cloud cloud) {
  switch (cloud) {
    case Cloud::kCommercial:
    case Cloud::kGcc: return "https://login.microsoftonline.com";
    case Cloud::kGccHigh:
    case Cloud::kDod: return "https://login.microsoftonline.us";
  }
  return "https://login.microsoftonline.com";
}

std::string defaultApiUrl(Cloud cloud) {
  switch (cloud) {
    case Cloud::kCommercial: return "https://manage.office.com";
    case Cloud::kGcc: return "https://manage-gcc.office.com";
    case Cloud::kGccHigh: return "https://manage.office365.us";
    case Cloud::kDod: return "https://manage.protection.apps.mil";
  }
  return "https://manage.office.com";
}

std::string defaultGraphUrl(Cloud cloud) {
  switch (cloud) {
    case Cloud::kCommercial:
    case Cloud::kGcc: return "https://graph.microsoft.com";
    case Cloud::kGccHigh: return "https://graph.microsoft.us";
    case Cloud::kDod: return "https://dod-graph.microsoft.us";
  }
  return "https://graph.microsoft.com";
}

bool isKnownContentType(const std::string& content_type) {
  for (const char* known : kContentTypes)
    if (content_type == known) return true;
  return false;
}

bool isGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

namespace {
std::set<std::string> brokerSet(const std::string& list) {
  std::set<std::string> out;
  std::size_t at = 0;
  while (at <= list.size()) {
    std::size_t end = list.find(',', at);
    if (end == std::string::npos) end = list.size();
    std::string one = list.substr(at, end - at);
    one.erase(0, one.find_first_not_of(" \t"));
    one.erase(one.find_last_not_of(" \t") + 1);
    if (!one.empty()) out.insert(one);
    at = end + 1;
  }
  return out;
}
}  // namespace

bool sameKafkaBrokers(const std::string& a, const std::string& b) {
  return brokerSet(a) == brokerSet(b);
}

bool exactlyOnceSink(const Config& config, const SinkConfig& sink) {
  return config.cluster.enabled && config.cluster.kafka.exactly_once &&
         sink.type == SinkType::kKafka &&
         sameKafkaBrokers(sink.kafka.brokers, config.cluster.kafka.brokers);
}

}  // namespace o365fwd
