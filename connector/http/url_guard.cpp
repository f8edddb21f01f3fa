#include "connector/http/url_guard.h"

#include <cctype>
#include <string_view>

namespace o365fwd {
namespace {

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

Error untrusted(const std::string& what) {
  return Error::permanent(ErrorKind::kApi, what + "; the token was not sent", "untrusted_uri");
}

// True when `path` starts with <base>/api/<version>/<tenant>/activity/feed/.
bool underFeedRoot(const std::string& path, const std::string& base_path,
                   const std::string& tenant) {
  for (std::string_view version : {"v1.0", "v1"}) {
    std::string head = base_path + "/api/" + std::string(version) + "/";
    if (path.compare(0, head.size(), head) != 0) continue;
    std::string_view rest = std::string_view(path).substr(head.size());
    if (rest.size() < tenant.size() || !equalsNoCase(rest.substr(0, tenant.size()), tenant))
      continue;
    rest.remove_prefix(tenant.size());
    constexpr std::string_view kTail = "/activity/feed/";
    if (rest.substr(0, kTail.size()) == kTail) return true;
  }
  return false;
}

}  // namespace

Status checkApiUrl(const std::string& url, const std::string& api_base,
                   const std::string& tenant_guid) {
  auto base = parseUrl(api_base);
  if (!base) {
    return Error::permanent(ErrorKind::kConfig,
                            "api_url is not a valid URL: " + base.error().message, "bad_url");
  }
  auto target = parseUrl(url);
  if (!target) return untrusted("refused a URL the API returned: it cannot be parsed");
  const UrlParts& b = *base;
  const UrlParts& t = *target;
  if (!equalsNoCase(t.host, b.host))
    return untrusted("refused a URL on host " + t.host + ": it is not the configured API host " +
                     b.host);
  if (t.scheme != b.scheme)
    return untrusted("refused a " + t.scheme + " URL on host " + t.host + ": api_url uses " +
                     b.scheme);
  if (t.port != b.port)
    return untrusted("refused a URL on host " + t.host + " port " + t.port +
                     ": the API is configured on port " + b.port);
  if (t.has_userinfo)
    return untrusted("refused a URL on host " + t.host + " with user information");
  std::string base_path = b.path;
  while (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
  if (tenant_guid.empty() || !underFeedRoot(t.path, base_path, tenant_guid))
    return untrusted("refused a URL on host " + t.host + ": its path is outside " + base_path +
                     "/api/v1.0/" + tenant_guid + "/activity/feed/");
  return okStatus();
}

std::string withPublisherIdentifier(const std::string& url, const std::string& publisher) {
  if (publisher.empty()) return url;
  std::size_t fragment = url.find('#');
  std::string head = url.substr(0, fragment);
  std::string tail = fragment == std::string::npos ? std::string() : url.substr(fragment);
  std::size_t question = head.find('?');
  if (question != std::string::npos) {
    std::string_view query = std::string_view(head).substr(question + 1);
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view param = query.substr(0, amp);
      std::string_view name = param.substr(0, param.find('='));
      if (equalsNoCase(name, "PublisherIdentifier")) return url;
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  char sep = '?';
  if (question != std::string::npos) sep = (head.back() == '?' || head.back() == '&') ? '\0' : '&';
  if (sep != '\0') head += sep;
  head += "PublisherIdentifier=" + urlEncode(publisher);
  return head + tail;
}

std::string urlEncode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace o365fwd
