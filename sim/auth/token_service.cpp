#include "sim/auth/token_service.h"

#include <algorithm>
#include <cctype>

#include "core/secrets/crypto.h"
#include "sim/auth/aad_error.h"
#include "sim/auth/client_assertion.h"
#include "sim/json_text.h"

namespace o365fwd::sim {
namespace {

constexpr const char* kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr const char* kManage = "https://manage.office.com";

std::string field(const std::vector<std::pair<std::string, std::string>>& form, const char* name,
                  bool* present = nullptr) {
  std::string value;
  bool found = false;
  for (const auto& [k, v] : form) {
    if (k == name) {
      value = v;
      found = true;
    }
  }
  if (present != nullptr) *present = found;
  return value;
}

std::string stripSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

bool looksLikeTenant(std::string_view s) {
  if (isGuid(s)) return true;
  if (s.find('.') == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
  });
}

}  // namespace

std::string percentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) != 0 &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2])) != 0) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parseForm(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view part = body.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view k = part.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    out.emplace_back(percentDecode(k, true), percentDecode(v, true));
  }
  return out;
}

TokenService::TokenService(const TenantDirectory& tenants, SimState& state, TokenStore& tokens,
                           Stats& stats, Random& random)
    : tenants_(tenants), state_(state), tokens_(tokens), stats_(stats), random_(random) {}

HttpReply TokenService::error(int code, const std::string& client_id, const std::string& tenant,
                              const std::string& detail) {
  stats_.tokenError(code);
  AadError e = aadError(code, client_id, tenant, detail);
  HttpReply r;
  r.status = e.http_status;
  r.body = aadErrorBody(e, state_.now(), random_.guid(), random_.guid());
  r.headers = {{"Cache-Control", "no-store, no-cache"}, {"Pragma", "no-cache"}};
  return r;
}

HttpReply TokenService::handle(const TokenRequest& req) {
  const std::string& seg = req.tenant_segment;
  auto tenant = tenants_.findBySegment(seg);
  if (!tenant) {
    std::string lower = seg;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "common" || lower == "consumers" || lower == "organizations")
      return error(9001023, "", seg);
    return error(looksLikeTenant(seg) ? 90002 : 900023, "", seg);
  }
  const TenantEntry& t = tenants_.at(*tenant);
  if (int forced = state_.tenant(*tenant).forced_token_error; forced != 0)
    return error(forced, "", t.config.tenant_id);

  auto form = parseForm(req.body);
  bool has = false;
  std::string grant = field(form, "grant_type", &has);
  if (!has) return error(900144, "", t.config.tenant_id, "grant_type");
  if (grant != "client_credentials") return error(70003, "", t.config.tenant_id, grant);

  // Resource (v1) or scope (v2).
  std::string audience;
  const std::string api = stripSlash(req.api_base);
  auto accepted = [&](const std::string& r) { return r == kManage || (!api.empty() && r == api); };
  std::string resource = field(form, "resource", &has);
  if (req.v2) {
    if (has) return error(901002, "", t.config.tenant_id);
    std::string scope = field(form, "scope", &has);
    if (!has || scope.empty()) return error(900144, "", t.config.tenant_id, "scope");
    if (scope.find(' ') != std::string::npos) return error(70011, "", t.config.tenant_id, scope);
    const std::string suffix = "/.default";
    if (scope.size() < suffix.size() ||
        scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) != 0)
      return error(1002012, "", t.config.tenant_id, scope);
    audience = stripSlash(scope.substr(0, scope.size() - suffix.size()));
    if (!accepted(audience)) return error(70011, "", t.config.tenant_id, scope);
  } else {
    if (!has || resource.empty()) return error(900144, "", t.config.tenant_id, "resource");
    audience = stripSlash(resource);
    if (!accepted(audience)) return error(500011, "", t.config.tenant_id, resource);
  }

  // Client authentication.
  std::string client_id = field(form, "client_id");
  bool has_secret = false;
  std::string secret = field(form, "client_secret", &has_secret);
  if (req.v2 && !has_secret && req.authorization.rfind("Basic ", 0) == 0) {
    auto decoded = crypto::base64UrlDecode(req.authorization.substr(6));
    if (decoded.ok() && decoded->find(':') != std::string::npos) {
      size_t colon = decoded->find(':');
      client_id = percentDecode(decoded->substr(0, colon), true);
      secret = percentDecode(decoded->substr(colon + 1), true);
      has_secret = true;
    }
  }
  bool has_assertion = false;
  std::string assertion = field(form, "client_assertion", &has_assertion);
  if (has_assertion) {
    if (field(form, "client_assertion_type") != kJwtBearer)
      return error(900144, client_id, t.config.tenant_id, "client_assertion_type");
    if (client_id.empty()) client_id = assertionIssuer(assertion);
  }
  for (auto& c : client_id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (client_id.empty()) return error(900144, "", t.config.tenant_id, "client_id");
  const AppEntry* app = tenants_.findApp(*tenant, client_id);
  if (app == nullptr) return error(700016, client_id, t.config.tenant_id);

  const std::int64_t now = state_.nowSeconds();
  bool certificate = false;
  if (has_assertion) {
    AssertionResult check =
        verifyClientAssertion(assertion, req.endpoint_url, client_id, app->keys, now);
    if (!check.ok()) return error(check.error_code, client_id, t.config.tenant_id, check.detail);
    if (!tokens_.useJti(check.jti, check.exp, now))
      return error(50027, client_id, t.config.tenant_id,
                   "The client assertion jti was already used; every assertion needs a fresh jti.");
    certificate = true;
  } else if (has_secret) {
    if (app->config.client_secret.empty() || secret != app->config.client_secret)
      return error(7000215, client_id, t.config.tenant_id);
    if (app->config.secret_expired) return error(7000222, client_id, t.config.tenant_id);
  } else {
    return error(7000218, client_id, t.config.tenant_id);
  }

  const int lifetime = state_.global().token_lifetime;
  const std::int64_t exp = now + lifetime;
  std::string token = mintToken(*tenant, *app, audience, certificate, now, exp);
  stats_.tokenIssued();
  HttpReply r;
  r.headers = {{"Cache-Control", "no-store, no-cache"}, {"Pragma", "no-cache"}};
  const std::string life = std::to_string(lifetime);
  if (req.v2) {
    r.body = "{\"token_type\":\"Bearer\",\"expires_in\":" + life + ",\"ext_expires_in\":" + life +
             ",\"access_token\":" + jsonString(token) + "}";
  } else {
    r.body = "{\"token_type\":\"Bearer\",\"expires_in\":\"" + life + "\",\"ext_expires_in\":\"" +
             life + "\",\"expires_on\":\"" + std::to_string(exp) + "\",\"not_before\":\"" +
             std::to_string(now) + "\",\"resource\":" + jsonString(resource) +
             ",\"access_token\":" + jsonString(token) + "}";
  }
  return r;
}

std::string TokenService::mintToken(size_t tenant, const AppEntry& app, const std::string& audience,
                                    bool certificate, std::int64_t now, std::int64_t exp) {
  const std::string& tid = tenants_.at(tenant).config.tenant_id;
  const std::string oid = random_.guid();
  std::string payload = "{\"aud\":" + jsonString(audience) +
                        ",\"iss\":" + jsonString("https://sts.windows.net/" + tid + "/") +
                        ",\"iat\":" + std::to_string(now) + ",\"nbf\":" + std::to_string(now) +
                        ",\"exp\":" + std::to_string(exp) +
                        ",\"appid\":" + jsonString(app.config.client_id) + ",\"appidacr\":\"" +
                        (certificate ? "2" : "1") + "\"" +
                        ",\"idp\":" + jsonString("https://sts.windows.net/" + tid + "/") +
                        ",\"idtyp\":\"app\",\"oid\":" + jsonString(oid);
  if (!app.config.roles.empty()) {
    payload += ",\"roles\":[";
    for (size_t i = 0; i < app.config.roles.size(); ++i)
      payload += (i > 0 ? "," : "") + jsonString(app.config.roles[i]);
    payload += "]";
  }
  if (!app.config.scopes.empty()) {
    std::string scp;
    for (const std::string& s : app.config.scopes) scp += (scp.empty() ? "" : " ") + s;
    payload += ",\"scp\":" + jsonString(scp);
  }
  payload += ",\"sub\":" + jsonString(oid) + ",\"tid\":" + jsonString(tid) +
             ",\"uti\":" + jsonString(random_.guid()) + ",\"ver\":\"1.0\"}";
  std::string sig;
  for (int i = 0; i < 4; ++i) {
    std::uint64_t v = random_.next();
    for (int b = 0; b < 8; ++b) sig.push_back(static_cast<char>((v >> (8 * b)) & 0xFF));
  }
  std::string token =
      crypto::base64UrlEncode("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"o365fwd-sim\"}") + "." +
      crypto::base64UrlEncode(payload) + "." + crypto::base64UrlEncode(sig);
  // faults.opaque_tokens: a random reference token without claims, as proxies and mocks issue
  // (the API side still knows its tenant and roles from the TokenStore).
  if (state_.global().faults.opaque_tokens) token = crypto::base64UrlEncode(sig);
  IssuedToken info;
  info.tenant = tenant;
  info.tenant_id = tid;
  info.client_id = app.config.client_id;
  info.roles = app.config.roles;
  info.not_before = now;
  info.expires = exp;
  tokens_.add(token, std::move(info), now);
  return token;
}

}  // namespace o365fwd::sim
