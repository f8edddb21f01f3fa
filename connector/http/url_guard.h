#pragma once
// The gate every Management API URL passes before a bearer token is attached to it
// (reliability-and-packaging.md E4). contentUri and NextPageUri come from response bodies and
// headers; a URL naming another host, port, scheme or path is refused with Error code
// "untrusted_uri" and the token is never sent. Pure functions, thread-safe.
#include <string>

#include "core/result.h"

namespace o365fwd {

struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // as written (IPv6 in brackets); compare case-insensitively
  std::string port;    // effective port: explicit, or the scheme's default
  std::string path;    // after dot-segment removal, still percent-encoded
  std::string query;   // without '?'
  bool has_userinfo = false;
};

// Parses an absolute http(s) URL with libcurl's URL API, the same parser that later fetches it,
// so the guard and the transport agree on the host. Implemented in curl_multi_transport.cpp (the
// only file that includes curl.h). Errors: kConfig, permanent, code "bad_url".
Result<UrlParts> parseUrl(const std::string& url);

// Accepts `url` only if, against `api_base` (the configured api_url): same scheme, same host
// (case-insensitive, exact, never a suffix match), same effective port, no userinfo, and a path
// under <base path>/api/v1.0/<tenant_guid>/activity/feed/ (or /api/v1/...). Otherwise returns
// Error kApi, permanent, code "untrusted_uri", naming the host (never the full URL).
Status checkApiUrl(const std::string& url, const std::string& api_base,
                   const std::string& tenant_guid);

// Appends PublisherIdentifier=<publisher> unless the query already has a parameter of that name
// (case-insensitive; beats sends "publisherIdentifier"). Returns `url` unchanged when
// `publisher` is empty. Keeps a #fragment at the end.
std::string withPublisherIdentifier(const std::string& url, const std::string& publisher);

// Form/query encoding of one value: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX.
std::string urlEncode(const std::string& value);

}  // namespace o365fwd
