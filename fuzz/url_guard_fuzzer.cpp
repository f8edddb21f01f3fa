// Fuzz target: the URL gate in front of the bearer token (connector/http/url_guard.h).
// Invariants: checkApiUrl accepts a URL only when libcurl's parse of it has the configured
// scheme, host (case-insensitively), port and no userinfo, and a path under the tenant's feed
// root; a naive reading of the authority (everything between "scheme:" plus slashes and the first
// '/', '\', '?' or '#', after the last '@') names the same host, so no URL can smuggle another host
// past the check; adding PublisherIdentifier never turns an accepted URL into a refused one; and
// urlEncode emits only unreserved bytes and %XX that decode back to the input.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>
#include <iterator>
#include <string>

#include "connector/http/url_guard.h"
#include "fuzz/fuzz_check.h"

namespace {

using o365fwd::fuzz::equalsNoCase;

constexpr const char* kTenant = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

struct Base {
  const char* url;
  const char* host;  // as the naive reader sees it
};
constexpr Base kBases[] = {
    {"https://manage.office.com", "manage.office.com"},
    {"https://manage.office365.us/", "manage.office365.us"},
    {"http://127.0.0.1:8080/sim", "127.0.0.1"},
    {"https://[::1]:9443", "[::1]"},
};

// The host part of the authority, without userinfo and port, as a person would read it.
std::string naiveHost(const std::string& url) {
  std::size_t colon = url.find(':');
  if (colon == std::string::npos) return {};
  std::size_t start = colon + 1;
  while (start < url.size() && (url[start] == '/' || url[start] == '\\')) ++start;
  std::size_t end = url.find_first_of("/\\?#", start);
  std::string authority =
      url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (std::size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    return close == std::string::npos ? authority : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

// Case-insensitive; IP literals compare as addresses ("[0:0::1]" is "[::1]").
bool sameHost(const std::string& a, const std::string& b) {
  if (a.size() > 2 && b.size() > 2 && a.front() == '[' && b.front() == '[' && a.back() == ']' &&
      b.back() == ']') {
    in6_addr x{}, y{};
    if (inet_pton(AF_INET6, a.substr(1, a.size() - 2).c_str(), &x) == 1 &&
        inet_pton(AF_INET6, b.substr(1, b.size() - 2).c_str(), &y) == 1)
      return std::memcmp(&x, &y, sizeof x) == 0;
  }
  in_addr x4{}, y4{};  // libcurl normalises numeric IPv4 forms ("127.0.001", "127.1", octal)
  if (inet_aton(a.c_str(), &x4) != 0 && inet_aton(b.c_str(), &y4) != 0)
    return x4.s_addr == y4.s_addr;
  return equalsNoCase(a, b);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Base& base = kBases[data[0] % std::size(kBases)];
  const std::string url(reinterpret_cast<const char*>(data) + 1, size - 1);

  o365fwd::Status status = o365fwd::checkApiUrl(url, base.url, kTenant);
  if (status.ok()) {
    auto parts = o365fwd::parseUrl(url);
    auto base_parts = o365fwd::parseUrl(base.url);
    FUZZ_CHECK(parts && base_parts);
    FUZZ_CHECK(equalsNoCase(parts->host, base_parts->host));
    FUZZ_CHECK(parts->scheme == base_parts->scheme && parts->port == base_parts->port);
    FUZZ_CHECK(!parts->has_userinfo);
    FUZZ_CHECK(parts->path.find("/activity/feed/") != std::string::npos);
    FUZZ_CHECK(sameHost(naiveHost(url), base.host));

    o365fwd::Status with_publisher =
        o365fwd::checkApiUrl(o365fwd::withPublisherIdentifier(url, kTenant), base.url, kTenant);
    FUZZ_CHECK(with_publisher.ok());
  } else {
    FUZZ_CHECK(status.error().code == "untrusted_uri");
    FUZZ_CHECK(!status.error().retryable);
    // The refusal names the host, never the full URL (which may carry a signature in its query).
    if (url.size() > 200) FUZZ_CHECK(status.error().message.find(url) == std::string::npos);
  }

  std::string encoded = o365fwd::urlEncode(url);
  std::string decoded;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '%') {
      FUZZ_CHECK(i + 2 < encoded.size());
      int hi = hexValue(encoded[i + 1]), lo = hexValue(encoded[i + 2]);
      FUZZ_CHECK(hi >= 0 && lo >= 0);
      decoded.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
                 c == '~');
      decoded.push_back(c);
    }
  }
  FUZZ_CHECK(decoded == url);
  return 0;
}
