#pragma once
// The Entra ID token endpoints (v1 /{tenant}/oauth2/token and v2 /{tenant}/oauth2/v2.0/token)
// for the client-credentials grant: validates the tenant, the form fields, the client secret
// or certificate assertion, and issues a JWT-shaped access token that TokenStore remembers.
// Every failure is an AADSTS error in the real shape (sim/auth/aad_error.h).
// Thread-safe (all state is in the thread-safe collaborators).
#include <string>
#include <utility>
#include <vector>

#include "core/random.h"
#include "sim/auth/token_store.h"
#include "sim/sim_state.h"
#include "sim/stats.h"
#include "sim/tenant_directory.h"

namespace o365fwd::sim {

struct TokenRequest {
  std::string tenant_segment;  // GUID or domain from the path
  bool v2 = false;
  std::string body;          // application/x-www-form-urlencoded
  std::string endpoint_url;  // "http://<Host header><path>": the assertion's required aud
  std::string api_base;  // "http://<Host header>": accepted as resource besides manage.office.com
  std::string authorization;  // Authorization header (v2 accepts HTTP Basic client auth)
};

struct HttpReply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class TokenService {
 public:
  TokenService(const TenantDirectory& tenants, SimState& state, TokenStore& tokens, Stats& stats,
               Random& random);
  HttpReply handle(const TokenRequest& request);

 private:
  HttpReply error(int code, const std::string& client_id, const std::string& tenant,
                  const std::string& detail = {});
  std::string mintToken(size_t tenant, const AppEntry& app, const std::string& audience,
                        bool certificate, std::int64_t now, std::int64_t exp);

  const TenantDirectory& tenants_;
  SimState& state_;
  TokenStore& tokens_;
  Stats& stats_;
  Random& random_;
};

// Decodes an application/x-www-form-urlencoded body ('+' is a space). Later duplicates win.
std::vector<std::pair<std::string, std::string>> parseForm(std::string_view body);
std::string percentDecode(std::string_view text, bool plus_is_space);

}  // namespace o365fwd::sim
