#pragma once
// Verification of a certificate client assertion (a signed JWT, docs/management-api.md §1.6)
// the way Entra ID checks it: alg RS256/PS256, x5t or x5t#S256 naming a registered certificate
// of the app, a valid signature, aud = the exact token endpoint URL called, iss = sub =
// client id, nbf <= now + 5 min, exp > now, exp - nbf <= 24 h, a jti. Replay (a jti seen
// before) is checked by the caller (TokenStore). Pure function; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace o365fwd::sim {

// A certificate registered for an app: its thumbprints and public key.
struct CertKey {
  std::string x5t;       // base64url(SHA-1(DER)), unpadded
  std::string x5t_s256;  // base64url(SHA-256(DER)), unpadded
  std::string public_key_pem;
};

struct AssertionResult {
  int error_code = 0;  // 0 = valid; else 700027 (key/signature) or 50027 (malformed/claims)
  std::string detail;  // operator-facing reason
  std::string issuer;  // iss claim (the client id when client_id was not sent)
  std::string jti;
  std::int64_t exp = 0;
  bool ok() const { return error_code == 0; }
};

// Reads only the iss claim (for requests that omit client_id); empty when unreadable.
std::string assertionIssuer(std::string_view jwt);

// `client_id` empty: iss must equal sub and is reported in AssertionResult::issuer.
AssertionResult verifyClientAssertion(std::string_view jwt, std::string_view expected_audience,
                                      std::string_view client_id, const std::vector<CertKey>& keys,
                                      std::int64_t now_s);

}  // namespace o365fwd::sim
