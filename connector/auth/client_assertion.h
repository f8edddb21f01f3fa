#pragma once
// Certificate client assertion for the OAuth 2.0 client-credentials grant
// (docs/management-api.md §1.6): a JWT signed with the app's private key. Pure; thread-safe.
//
// Header: alg (PS256 by default, RS256 for older tenants), typ "JWT", x5t#S256 =
// base64url(SHA-256(DER)) and, for compatibility, x5t = base64url(SHA-1(DER)).
// Claims: aud = the exact token URL being called, iss = sub = client_id, jti = a fresh random GUID,
// nbf = iat = now, exp = now + 10 minutes (integer epoch seconds).
// The result is a credential: never log it.
#include <chrono>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secrets/crypto.h"

namespace o365fwd {

inline constexpr std::chrono::minutes kClientAssertionLifetime{10};

Result<std::string> buildClientAssertion(const crypto::Certificate& certificate,
                                         const crypto::PrivateKey& key,
                                         const std::string& client_id, const std::string& audience,
                                         WallTime now, Random& random,
                                         crypto::SignatureAlg alg = crypto::SignatureAlg::kPs256);

}  // namespace o365fwd
