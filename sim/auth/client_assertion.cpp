#include "sim/auth/client_assertion.h"

#include <rapidjson/document.h>

#include "core/secrets/crypto.h"

namespace o365fwd::sim {
namespace {

constexpr std::int64_t kClockTolerance = 300;
constexpr std::int64_t kMaxLifetime = 86400;

std::string unpad(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

bool decodeJson(std::string_view part, rapidjson::Document& doc) {
  auto raw = crypto::base64UrlDecode(part);
  if (!raw.ok()) return false;
  doc.Parse(raw->c_str(), raw->size());
  return !doc.HasParseError() && doc.IsObject();
}

std::string str(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

bool intClaim(const rapidjson::Value& v, const char* name, std::int64_t& out) {
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsNumber()) return false;
  out =
      it->value.IsInt64() ? it->value.GetInt64() : static_cast<std::int64_t>(it->value.GetDouble());
  return true;
}

AssertionResult fail(int code, std::string detail) {
  AssertionResult r;
  r.error_code = code;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

std::string assertionIssuer(std::string_view jwt) {
  size_t a = jwt.find('.');
  size_t b = a == std::string_view::npos ? a : jwt.find('.', a + 1);
  if (b == std::string_view::npos) return {};
  rapidjson::Document payload;
  if (!decodeJson(jwt.substr(a + 1, b - a - 1), payload)) return {};
  return str(payload, "iss");
}

AssertionResult verifyClientAssertion(std::string_view jwt, std::string_view expected_audience,
                                      std::string_view client_id, const std::vector<CertKey>& keys,
                                      std::int64_t now_s) {
  size_t a = jwt.find('.');
  size_t b = a == std::string_view::npos ? a : jwt.find('.', a + 1);
  if (b == std::string_view::npos || jwt.find('.', b + 1) != std::string_view::npos)
    return fail(50027, "The client assertion is not a JWT of three dot-separated parts.");
  rapidjson::Document header, payload;
  if (!decodeJson(jwt.substr(0, a), header) || !decodeJson(jwt.substr(a + 1, b - a - 1), payload))
    return fail(50027, "The client assertion header or payload is not base64url-encoded JSON.");
  auto signature = crypto::base64UrlDecode(jwt.substr(b + 1));
  if (!signature.ok()) return fail(50027, "The client assertion signature is not base64url.");

  const std::string alg = str(header, "alg");
  crypto::SignatureAlg sig_alg;
  if (alg == "RS256") {
    sig_alg = crypto::SignatureAlg::kRs256;
  } else if (alg == "PS256") {
    sig_alg = crypto::SignatureAlg::kPs256;
  } else {
    return fail(50027,
                "The client assertion alg '" + alg + "' is not supported; use RS256 or PS256.");
  }
  const std::string x5t = unpad(str(header, "x5t"));
  const std::string x5t256 = unpad(str(header, "x5t#S256"));
  if (x5t.empty() && x5t256.empty())
    return fail(700027, "The key was not found. The assertion header has neither x5t nor x5t#S256");
  const CertKey* key = nullptr;
  for (const auto& k : keys) {
    if ((!x5t256.empty() && k.x5t_s256 == x5t256) || (!x5t.empty() && k.x5t == x5t)) key = &k;
  }
  if (key == nullptr)
    return fail(700027, "The key was not found., Thumbprint of key used by client: '" +
                            (x5t256.empty() ? x5t : x5t256) + "'");
  if (!crypto::verify(sig_alg, key->public_key_pem, jwt.substr(0, b), *signature))
    return fail(700027, "The key was found, but use of the key to verify the signature failed");

  // aud may be a string or an array holding the endpoint.
  bool aud_ok = false;
  if (auto it = payload.FindMember("aud"); it != payload.MemberEnd()) {
    if (it->value.IsString()) aud_ok = expected_audience == it->value.GetString();
    if (it->value.IsArray())
      for (const auto& v : it->value.GetArray())
        aud_ok = aud_ok || (v.IsString() && expected_audience == v.GetString());
  }
  if (!aud_ok)
    return fail(50027, "The assertion audience (aud) must be the token endpoint '" +
                           std::string(expected_audience) + "'.");
  const std::string iss = str(payload, "iss");
  const std::string sub = str(payload, "sub");
  if (iss.empty() || iss != sub || (!client_id.empty() && iss != client_id))
    return fail(50027, "The assertion iss and sub must both equal the client id.");
  std::int64_t nbf = 0, exp = 0;
  bool has_nbf = intClaim(payload, "nbf", nbf);
  if (!intClaim(payload, "exp", exp)) return fail(50027, "The assertion has no exp claim.");
  if (has_nbf && nbf > now_s + kClockTolerance)
    return fail(50027, "The assertion is not yet valid (nbf is in the future); check the clock.");
  if (exp <= now_s) return fail(50027, "The assertion has expired (exp is in the past).");
  if (has_nbf && exp - nbf > kMaxLifetime)
    return fail(50027, "The assertion lifetime (exp - nbf) exceeds 24 hours.");
  const std::string jti = str(payload, "jti");
  if (jti.empty()) return fail(50027, "The assertion has no jti claim.");
  AssertionResult r;
  r.issuer = iss;
  r.jti = jti;
  r.exp = exp;
  return r;
}

}  // namespace o365fwd::sim
