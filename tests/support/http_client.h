#pragma once
// A blocking HTTP client for tests (libcurl easy; test code only — production code talks HTTP
// through connector/). Every call is independent and thread-safe. Redirects are not followed;
// response bodies are returned as received (no decompression unless asked for).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace o365fwd::testing {

struct HttpResult {
  long status = 0;  // 0 when the request failed before a response (see error)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response, in order
  std::string error;  // transport error text; empty on success
  // The first header with this name, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

// `headers` are "Name: value" lines. A POST with an empty body sends Content-Length: 0.
HttpResult httpRequest(const std::string& method, const std::string& url,
                       const std::string& body = "", std::vector<std::string> headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct HttpRequestOptions {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::string> headers;
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  // When set, sent as Accept-Encoding and the body is decompressed by curl ("" = all it knows).
  std::optional<std::string> accept_encoding;
};
HttpResult httpRequest(const HttpRequestOptions& request);

// application/x-www-form-urlencoded body from name/value pairs (every byte but unreserved
// characters percent-encoded).
std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields);
std::string urlEncode(std::string_view text);

}  // namespace o365fwd::testing
