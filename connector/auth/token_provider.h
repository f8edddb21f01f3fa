#pragma once
// One tenant's access token for the Management API (OAuth 2.0 client credentials against
// Microsoft Entra ID, docs/management-api.md §1). Owned per tenant by the composition root;
// thread-safe: any worker calls token() concurrently.
//
// Promises:
// - token() returns the cached token while it is fresh; it is refreshed when within
//   max(5 min, 20 % of its lifetime) of expiry (never more than half the lifetime early). One
//   refresh at a time: other callers keep using a still-valid token, or wait for the refresh.
// - Retryable failures (transport, 5xx, 429, AADSTS 90055/50000/90033/90006/90024) are retried
//   with backoff inside token() up to `max_attempts`; a final failure is remembered for a short
//   hold (30 s permanent, 5 s retryable) so a wrong secret doesn't hammer login (AADSTS50196).
// - Token endpoint errors become Error kind kAuth, code "AADSTS<n>" (error_codes[0]), with an
//   operator remedy. The secret, the assertion and the token never appear in a message or log.
// - The credential is loaded on the first refresh and again after reload() (SIGHUP).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "connector/api_stats.h"
#include "connector/http/http_transport.h"
#include "connector/request_gate.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secrets/crypto.h"
#include "core/secrets/secret.h"

namespace o365fwd {

struct CertificateCredential {
  crypto::Certificate certificate;
  crypto::PrivateKey key;
  crypto::SignatureAlg alg = crypto::SignatureAlg::kPs256;
};

struct TokenProviderOptions {
  std::string login_url;  // "https://login.microsoftonline.com" (trailing slash tolerated)
  std::string tenant;     // GUID or verified domain ("contoso.onmicrosoft.com")
  std::string client_id;
  std::string api_url;  // the resource: v1 resource=<api_url>, v2 scope=<api_url>/.default
  TokenEndpoint endpoint = TokenEndpoint::kV2;
  // Exactly one credential source. Called on the first refresh and again after reload(), on the
  // refreshing caller's thread.
  std::function<Result<Secret>()> client_secret;
  std::function<Result<CertificateCredential>()> certificate;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds request_timeout{
      std::chrono::seconds(30)};                                      // collection.request_timeout
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(30)};  // collection.stall_timeout
  std::uint64_t max_response_bytes = 64 * 1024;
  int max_attempts = 3;
  BackoffPolicy backoff{std::chrono::seconds(1), std::chrono::seconds(15),
                        std::chrono::milliseconds(250)};
  std::chrono::milliseconds permanent_failure_hold{std::chrono::seconds(30)};
  std::chrono::milliseconds retryable_failure_hold{std::chrono::seconds(5)};

  // Shared by every tenant's token requests (nullptr: no cap). A request that finds no place
  // within request_timeout fails retryable with code "setup_gate_timeout".
  RequestGate* gate = nullptr;
};

// What the current token says about itself (decoded from the JWT payload without verifying it;
// for display and tenant resolution only). A non-JWT token yields empty claims.
struct TokenInfo {
  WallTime obtained_at;
  WallTime expires_at;
  std::string tenant_id;  // tid
  std::string app_id;     // appid (v1 tokens) or azp (v2)
  std::vector<std::string> roles;
  // Microsoft documents access tokens as opaque to clients; proxies and test servers issue
  // opaque ones. readable: a JWT whose payload is a JSON object; delegated: it carries `scp`.
  bool readable = false;
  bool delegated = false;
};

class TokenProvider {
 public:
  TokenProvider(TokenProviderOptions options, HttpTransport& transport, Clock& clock,
                Random& random, ApiStats* stats = nullptr);
  TokenProvider(const TokenProvider&) = delete;
  TokenProvider& operator=(const TokenProvider&) = delete;

  // A valid access token, or the classified error (kCancelled when `stop` was requested).
  Result<std::string> token(std::stop_token stop);
  // After a 401: drops the cached token if it is still `token` (a newer one is kept).
  void invalidate(const std::string& token);
  // SIGHUP: drops the cached token and any remembered failure; the credential is re-read on the
  // next refresh.
  void reload();
  std::optional<TokenInfo> info() const;
  // The tenant GUID: the configured one, or the `tid` claim of the first token when the tenant
  // was configured as a domain. Lower case; empty until known.
  std::string tenantGuid() const;
  // The token endpoint URL (also the audience of a client assertion).
  std::string tokenUrl() const;

 private:
  struct Cached {
    std::string token;
    SteadyTime refresh_at;
    SteadyTime expires_at;
    TokenInfo info;
  };
  struct Fetched {
    std::string token;
    std::chrono::seconds lifetime;
  };

  Result<Fetched> refreshWithRetries(std::stop_token stop);
  Result<Fetched> requestOnce(std::stop_token stop);
  Result<std::string> buildForm();
  Error tokenError(const HttpResponse& response) const;
  std::string scrub(std::string text) const;

  const TokenProviderOptions options_;
  HttpTransport& transport_;
  Clock& clock_;
  Random& random_;
  ApiStats* stats_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::optional<Cached> cached_;
  std::optional<Error> failure_;
  SteadyTime failure_until_{};
  bool refreshing_ = false;
  std::uint64_t generation_ = 0;  // bumped by reload()
  std::string resolved_tid_;

  mutable std::mutex credential_mu_;  // the refresher loads; reload() clears
  std::optional<Secret> secret_;
  std::optional<CertificateCredential> certificate_;
};

// Decodes the claims of a JWT access token (no signature check). Non-JWT: empty claims.
TokenInfo decodeTokenClaims(const std::string& token);

}  // namespace o365fwd
