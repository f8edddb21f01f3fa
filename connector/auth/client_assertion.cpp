#include "connector/auth/client_assertion.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/secrets/sensitive_values.h"

namespace o365fwd {

Result<std::string> buildClientAssertion(const crypto::Certificate& certificate,
                                         const crypto::PrivateKey& key,
                                         const std::string& client_id, const std::string& audience,
                                         WallTime now, Random& random, crypto::SignatureAlg alg) {
  if (certificate.der().empty())
    return Error::permanent(ErrorKind::kConfig, "the client certificate is empty");
  if (client_id.empty() || audience.empty())
    return Error::permanent(ErrorKind::kInternal,
                            "client assertion needs a client id and audience");

  rapidjson::StringBuffer header_buf;
  {
    rapidjson::Writer<rapidjson::StringBuffer> w(header_buf);
    w.StartObject();
    w.Key("alg");
    w.String(alg == crypto::SignatureAlg::kPs256 ? "PS256" : "RS256");
    w.Key("typ");
    w.String("JWT");
    w.Key("x5t#S256");
    w.String(certificate.x5tS256());
    w.Key("x5t");
    w.String(certificate.x5t());
    w.EndObject();
  }

  const long long iat =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const long long exp =
      iat + std::chrono::duration_cast<std::chrono::seconds>(kClientAssertionLifetime).count();
  rapidjson::StringBuffer claims_buf;
  {
    rapidjson::Writer<rapidjson::StringBuffer> w(claims_buf);
    w.StartObject();
    w.Key("aud");
    w.String(audience);
    w.Key("iss");
    w.String(client_id);
    w.Key("sub");
    w.String(client_id);
    w.Key("jti");
    w.String(random.guid());
    w.Key("nbf");
    w.Int64(iat);
    w.Key("iat");
    w.Int64(iat);
    w.Key("exp");
    w.Int64(exp);
    w.EndObject();
  }

  std::string signing_input =
      crypto::base64UrlEncode(std::string_view(header_buf.GetString(), header_buf.GetSize())) +
      "." + crypto::base64UrlEncode(std::string_view(claims_buf.GetString(), claims_buf.GetSize()));
  auto signature = key.sign(alg, signing_input);
  if (!signature) {
    Error e = signature.error();
    e.message = "cannot sign the client assertion with private_key_file: " + e.message;
    return e;
  }
  std::string assertion = signing_input + "." + crypto::base64UrlEncode(*signature);
  registerSensitive(assertion, SensitiveKind::kAssertion);  // masked by value in every output
  return assertion;
}

}  // namespace o365fwd
