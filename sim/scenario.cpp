#include "sim/scenario.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/units.h"
#include "sim/defaults.h"

namespace o365fwd::sim {
namespace {

using rapidjson::Value;

Error bad(const std::string& path, const std::string& what) {
  return Error::permanent(ErrorKind::kConfig, "scenario " + path + ": " + what);
}

// Fails on keys that are not in `allowed`.
Status checkKeys(const Value& obj, const std::string& path,
                 std::initializer_list<const char*> allowed) {
  if (!obj.IsObject()) return bad(path, "must be a JSON object");
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string key = it->name.GetString();
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) return bad(path + "." + key, "unknown key");
  }
  return okStatus();
}

Status readInt(const Value& obj, const char* key, const std::string& path, int& out, int min,
               int max) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return okStatus();
  if (!it->value.IsInt() || it->value.GetInt() < min || it->value.GetInt() > max)
    return bad(path + "." + key,
               "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  out = it->value.GetInt();
  return okStatus();
}

Status readFraction(const Value& obj, const char* key, const std::string& path, double& out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return okStatus();
  if (!it->value.IsNumber() || it->value.GetDouble() < 0 || it->value.GetDouble() > 1)
    return bad(path + "." + key, "must be a number in [0, 1]");
  out = it->value.GetDouble();
  return okStatus();
}

Status readBool(const Value& obj, const char* key, const std::string& path, bool& out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return okStatus();
  if (!it->value.IsBool()) return bad(path + "." + key, "must be true or false");
  out = it->value.GetBool();
  return okStatus();
}

Status readString(const Value& obj, const char* key, const std::string& path, std::string& out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return okStatus();
  if (!it->value.IsString()) return bad(path + "." + key, "must be a string");
  out = it->value.GetString();
  return okStatus();
}

Status readDuration(const Value& obj, const char* key, const std::string& path, Seconds& out,
                    bool allow_negative = false) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return okStatus();
  std::optional<Seconds> v;
  if (it->value.IsInt64()) v = Seconds(it->value.GetInt64());
  if (it->value.IsString()) v = parseSeconds(it->value.GetString());
  if (!v || (!allow_negative && v->count() < 0))
    return bad(path + "." + key,
               "must be a duration: seconds, or a string like \"90s\", \"6h\", \"7d\"");
  out = *v;
  return okStatus();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

#define TRY(expr)                    \
  do {                               \
    Status s_ = (expr);              \
    if (!s_.ok()) return s_.error(); \
  } while (0)

Status applyKnobs(const Value& obj, const std::string& path, ContentKnobs& k) {
  TRY(checkKeys(
      obj, path,
      {"blobs", "records_per_blob", "record_size", "span", "future_span", "late_visible_fraction",
       "late_visible_delay", "backfill_fraction", "duplicate_fraction", "large_blob_mb",
       "expired_fraction", "invalid_json_blobs", "invalid_json_fetches", "expiration",
       "bomb_blobs", "bomb_mb", "late_blobs"}));
  TRY(readInt(obj, "blobs", path, k.blobs, 0, 10'000'000));
  TRY(readInt(obj, "records_per_blob", path, k.records_per_blob, 1, 1'000'000));
  TRY(readInt(obj, "record_size", path, k.record_size, 0, 16 << 20));
  TRY(readDuration(obj, "span", path, k.span));
  TRY(readDuration(obj, "future_span", path, k.future_span));
  TRY(readFraction(obj, "late_visible_fraction", path, k.late_visible_fraction));
  TRY(readDuration(obj, "late_visible_delay", path, k.late_visible_delay));
  TRY(readFraction(obj, "backfill_fraction", path, k.backfill_fraction));
  TRY(readFraction(obj, "duplicate_fraction", path, k.duplicate_fraction));
  TRY(readInt(obj, "large_blob_mb", path, k.large_blob_mb, 0, 4096));
  TRY(readFraction(obj, "expired_fraction", path, k.expired_fraction));
  TRY(readInt(obj, "invalid_json_blobs", path, k.invalid_json_blobs, 0, 10'000'000));
  TRY(readInt(obj, "invalid_json_fetches", path, k.invalid_json_fetches, 0, 1'000'000));
  TRY(readDuration(obj, "expiration", path, k.expiration));
  TRY(readInt(obj, "bomb_blobs", path, k.bomb_blobs, 0, 1'000'000));
  TRY(readInt(obj, "bomb_mb", path, k.bomb_mb, 1, 1 << 24));
  if (auto it = obj.FindMember("late_blobs"); it != obj.MemberEnd()) {
    if (!it->value.IsArray())
      return bad(path + ".late_blobs", "must be an array of {index, count, delay}");
    k.late_blobs.clear();
    for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
      const Value& e = it->value[i];
      const std::string at = path + ".late_blobs[" + std::to_string(i) + "]";
      TRY(checkKeys(e, at, {"index", "count", "delay"}));
      if (!e.HasMember("index") || !e.HasMember("delay"))
        return bad(at, "needs \"index\" and \"delay\"");
      LateBlobs late;
      TRY(readInt(e, "index", at, late.index, 0, 10'000'000));
      TRY(readInt(e, "count", at, late.count, 1, 10'000'000));
      TRY(readDuration(e, "delay", at, late.delay));
      k.late_blobs.push_back(late);
    }
  }
  return okStatus();
}

// Applies a {"*": {...}, "<content type>": {...}} object: "*" first, then each named type.
Status applyContent(const Value& obj, const std::string& path,
                    std::array<ContentKnobs, kContentTypeCount>& knobs) {
  if (!obj.IsObject()) return bad(path, "must be an object keyed by content type or \"*\"");
  if (auto it = obj.FindMember("*"); it != obj.MemberEnd()) {
    for (auto& k : knobs) TRY(applyKnobs(it->value, path + ".*", k));
  }
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string name = it->name.GetString();
    if (name == "*") continue;
    auto idx = contentTypeIndex(name);
    if (!idx) return bad(path + "." + name, "unknown content type");
    TRY(applyKnobs(it->value, path + "." + name, knobs[*idx]));
  }
  return okStatus();
}

Status parseApp(const Value& obj, const std::string& path, const std::string& base_dir,
                AppConfig& app) {
  TRY(checkKeys(obj, path,
                {"client_id", "client_secret", "secret_expired", "certificate_file",
                 "certificate_files", "private_key_file", "roles", "scopes"}));
  TRY(readString(obj, "client_id", path, app.client_id));
  app.client_id = lower(app.client_id);
  if (!isGuid(app.client_id)) return bad(path + ".client_id", "must be a GUID");
  TRY(readString(obj, "client_secret", path, app.client_secret));
  TRY(readBool(obj, "secret_expired", path, app.secret_expired));
  auto resolve = [&](std::string p) {
    if (!p.empty() && p.front() != '/') p = (std::filesystem::path(base_dir) / p).string();
    return p;
  };
  std::string cert;
  TRY(readString(obj, "certificate_file", path, cert));
  if (!cert.empty()) app.certificate_files.push_back(resolve(cert));
  if (auto it = obj.FindMember("certificate_files"); it != obj.MemberEnd()) {
    if (!it->value.IsArray()) return bad(path + ".certificate_files", "must be an array of paths");
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsString()) return bad(path + ".certificate_files", "must be an array of paths");
      app.certificate_files.push_back(resolve(v.GetString()));
    }
  }
  TRY(readString(obj, "private_key_file", path, app.private_key_file));
  if (!app.private_key_file.empty()) app.private_key_file = resolve(app.private_key_file);
  if (auto it = obj.FindMember("roles"); it != obj.MemberEnd()) {
    if (!it->value.IsArray()) return bad(path + ".roles", "must be an array of strings");
    app.roles.clear();
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsString()) return bad(path + ".roles", "must be an array of strings");
      app.roles.emplace_back(v.GetString());
    }
  }
  if (auto it = obj.FindMember("scopes"); it != obj.MemberEnd()) {
    if (!it->value.IsArray()) return bad(path + ".scopes", "must be an array of strings");
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsString()) return bad(path + ".scopes", "must be an array of strings");
      app.scopes.emplace_back(v.GetString());
    }
  }
  return okStatus();
}

Status parseTenant(const Value& obj, const std::string& path, const std::string& base_dir,
                   const Value* top_content, TenantConfig& t) {
  TRY(checkKeys(obj, path,
                {"name", "tenant_id", "domain", "apps", "auditing_enabled", "subscriptions",
                 "content_types", "forced_token_error", "throttle", "content"}));
  TRY(readString(obj, "name", path, t.name));
  TRY(readString(obj, "tenant_id", path, t.tenant_id));
  t.tenant_id = lower(t.tenant_id);
  if (!isGuid(t.tenant_id)) return bad(path + ".tenant_id", "must be a GUID");
  if (t.name.empty()) t.name = "tenant-" + t.tenant_id.substr(0, 8);
  t.domain = t.name + ".onmicrosoft.com";
  TRY(readString(obj, "domain", path, t.domain));
  t.domain = lower(t.domain);
  TRY(readBool(obj, "auditing_enabled", path, t.auditing_enabled));
  TRY(readInt(obj, "forced_token_error", path, t.forced_token_error, 0, 99'999'999));
  if (auto it = obj.FindMember("apps"); it != obj.MemberEnd()) {
    if (!it->value.IsArray()) return bad(path + ".apps", "must be an array");
    size_t i = 0;
    for (const auto& a : it->value.GetArray()) {
      AppConfig app;
      TRY(parseApp(a, path + ".apps[" + std::to_string(i++) + "]", base_dir, app));
      t.apps.push_back(std::move(app));
    }
  }
  if (auto it = obj.FindMember("subscriptions"); it != obj.MemberEnd()) {
    const Value& subs = it->value;
    if (!subs.IsObject()) return bad(path + ".subscriptions", "must be an object");
    auto apply = [&](const std::string& key, const Value& v, std::optional<size_t> idx) -> Status {
      auto state = v.IsString() ? parseSubscriptionState(v.GetString()) : std::nullopt;
      if (!state)
        return bad(path + ".subscriptions." + key, "must be none, enabled or disabled_by_admin");
      for (size_t c = 0; c < kContentTypeCount; ++c)
        if (!idx || *idx == c) t.subscriptions[c] = *state;
      return okStatus();
    };
    if (auto star = subs.FindMember("*"); star != subs.MemberEnd())
      TRY(apply("*", star->value, std::nullopt));
    for (auto m = subs.MemberBegin(); m != subs.MemberEnd(); ++m) {
      std::string key = m->name.GetString();
      if (key == "*") continue;
      auto idx = contentTypeIndex(key);
      if (!idx) return bad(path + ".subscriptions." + key, "unknown content type");
      TRY(apply(key, m->value, idx));
    }
  }
  if (auto it = obj.FindMember("content_types"); it != obj.MemberEnd()) {
    if (!it->value.IsArray()) return bad(path + ".content_types", "must be an array");
    t.has_content.fill(false);
    for (const auto& v : it->value.GetArray()) {
      auto idx = v.IsString() ? contentTypeIndex(v.GetString()) : std::nullopt;
      if (!idx) return bad(path + ".content_types", "holds an unknown content type");
      t.has_content[*idx] = true;
    }
  }
  if (auto it = obj.FindMember("throttle"); it != obj.MemberEnd()) {
    std::string p = path + ".throttle";
    TRY(checkKeys(it->value, p, {"per_minute", "status", "retry_after"}));
    TRY(readInt(it->value, "per_minute", p, t.throttle.per_minute, 1, 100'000'000));
    TRY(readInt(it->value, "status", p, t.throttle.status, 403, 429));
    if (t.throttle.status != 403 && t.throttle.status != 429)
      return bad(p + ".status", "must be 403 or 429");
    TRY(readInt(it->value, "retry_after", p, t.throttle.retry_after, 0, 86400));
  }
  if (top_content != nullptr) TRY(applyContent(*top_content, "content", t.content));
  if (auto it = obj.FindMember("content"); it != obj.MemberEnd())
    TRY(applyContent(it->value, path + ".content", t.content));
  return okStatus();
}

Status parseFaults(const Value& obj, FaultConfig& f) {
  const std::string p = "faults";
  TRY(checkKeys(obj, p,
                {"transient_error_rate", "transient_statuses", "next_page_loop",
                 "next_page_omit_publisher", "next_page_api_version", "content_uri_base",
                 "window_error_code", "opaque_tokens", "subscription_list_404",
                 "echo_credentials", "latency_ms"}));
  TRY(readFraction(obj, "transient_error_rate", p, f.transient_error_rate));
  if (auto it = obj.FindMember("transient_statuses"); it != obj.MemberEnd()) {
    if (!it->value.IsArray() || it->value.Empty())
      return bad(p + ".transient_statuses", "must be a non-empty array");
    f.transient_statuses.clear();
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsInt() || (v.GetInt() != 500 && v.GetInt() != 503 && v.GetInt() != 408))
        return bad(p + ".transient_statuses", "may hold only 500, 503 and 408");
      f.transient_statuses.push_back(v.GetInt());
    }
  }
  TRY(readBool(obj, "next_page_loop", p, f.next_page_loop));
  TRY(readBool(obj, "next_page_omit_publisher", p, f.next_page_omit_publisher));
  TRY(readString(obj, "next_page_api_version", p, f.next_page_api_version));
  TRY(readString(obj, "content_uri_base", p, f.content_uri_base));
  TRY(readString(obj, "window_error_code", p, f.window_error_code));
  TRY(readBool(obj, "opaque_tokens", p, f.opaque_tokens));
  TRY(readBool(obj, "subscription_list_404", p, f.subscription_list_404));
  TRY(readBool(obj, "echo_credentials", p, f.echo_credentials));
  if (auto it = obj.FindMember("latency_ms"); it != obj.MemberEnd()) {
    if (!it->value.IsInt() || it->value.GetInt() < 0 || it->value.GetInt() > 60000)
      return bad(p + ".latency_ms", "must be an integer from 0 to 60000 (milliseconds)");
    f.latency_ms = it->value.GetInt();
  }
  return okStatus();
}

}  // namespace

std::optional<size_t> contentTypeIndex(std::string_view name) {
  for (size_t i = 0; i < kContentTypeCount; ++i)
    if (kContentTypes[i] == name) return i;
  return std::nullopt;
}

std::optional<SubscriptionState> parseSubscriptionState(std::string_view text) {
  if (text == "none") return SubscriptionState::kNone;
  if (text == "enabled") return SubscriptionState::kEnabled;
  if (text == "disabled" || text == "stopped") return SubscriptionState::kStopped;
  if (text == "disabled_by_admin") return SubscriptionState::kDisabledByAdmin;
  return std::nullopt;
}

const char* toString(SubscriptionState s) {
  switch (s) {
    case SubscriptionState::kNone: return "none";
    case SubscriptionState::kEnabled: return "enabled";
    case SubscriptionState::kStopped: return "disabled";
    case SubscriptionState::kDisabledByAdmin: return "disabled_by_admin";
  }
  return "none";
}

bool isGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (std::isxdigit(static_cast<unsigned char>(s[i])) == 0) {
      return false;
    }
  }
  return true;
}

std::optional<Seconds> parseSeconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool all_digits = text.find_first_not_of("0123456789") == std::string_view::npos;
  if (all_digits) return Seconds(std::stoll(std::string(text)));
  if (text.front() == '-') {
    auto v = parseSeconds(text.substr(1));
    if (!v) return std::nullopt;
    return -*v;
  }
  auto d = parseDuration(text);
  if (!d) return std::nullopt;
  return std::chrono::duration_cast<Seconds>(*d);
}

Result<SimConfig> parseScenario(std::string_view json, const std::string& base_dir) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return Error::permanent(ErrorKind::kConfig,
                            std::string("scenario is not valid JSON: ") +
                                rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                std::to_string(doc.GetErrorOffset()));
  }
  SimConfig cfg;
  TRY(checkKeys(doc, "(top)",
                {"seed", "page_size", "token_lifetime", "clock_skew", "shared_throttle_per_minute",
                 "cache_mb", "faults", "content", "tenants"}));
  if (auto it = doc.FindMember("seed"); it != doc.MemberEnd()) {
    if (!it->value.IsUint64()) return bad("seed", "must be a non-negative integer");
    cfg.seed = it->value.GetUint64();
  }
  TRY(readInt(doc, "page_size", "(top)", cfg.page_size, 1, 100000));
  TRY(readInt(doc, "token_lifetime", "(top)", cfg.token_lifetime, 1, 86400 * 30));
  TRY(readDuration(doc, "clock_skew", "(top)", cfg.clock_skew, true));
  TRY(readInt(doc, "shared_throttle_per_minute", "(top)", cfg.shared_throttle_per_minute, 1,
              100'000'000));
  int cache_mb = static_cast<int>(cfg.cache_bytes >> 20);
  TRY(readInt(doc, "cache_mb", "(top)", cache_mb, 0, 65536));
  cfg.cache_bytes = static_cast<size_t>(cache_mb) << 20;
  if (auto it = doc.FindMember("faults"); it != doc.MemberEnd())
    TRY(parseFaults(it->value, cfg.faults));
  const Value* top_content = nullptr;
  if (auto it = doc.FindMember("content"); it != doc.MemberEnd()) top_content = &it->value;
  if (auto it = doc.FindMember("tenants"); it != doc.MemberEnd()) {
    if (!it->value.IsArray() || it->value.Empty())
      return bad("tenants", "must be a non-empty array");
    size_t i = 0;
    for (const auto& t : it->value.GetArray()) {
      TenantConfig tenant;
      TRY(parseTenant(t, "tenants[" + std::to_string(i++) + "]", base_dir, top_content, tenant));
      cfg.tenants.push_back(std::move(tenant));
    }
    cfg.tenants_from_scenario = true;
  } else {
    TenantConfig demo = demoTenant();
    if (top_content != nullptr) TRY(applyContent(*top_content, "content", demo.content));
    cfg.tenants.push_back(std::move(demo));
  }
  TRY(validateConfig(cfg));
  return cfg;
}

Result<SimConfig> loadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::permanent(ErrorKind::kConfig, "cannot read scenario file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto dir = std::filesystem::path(path).parent_path().string();
  return parseScenario(ss.str(), dir.empty() ? "." : dir);
}

Status validateConfig(const SimConfig& cfg) {
  std::set<std::string> ids, names, domains;
  for (const auto& t : cfg.tenants) {
    if (!ids.insert(t.tenant_id).second)
      return bad("tenants", "duplicate tenant_id " + t.tenant_id);
    if (!names.insert(t.name).second) return bad("tenants", "duplicate name " + t.name);
    if (!domains.insert(t.domain).second) return bad("tenants", "duplicate domain " + t.domain);
    if (t.apps.empty()) return bad("tenant " + t.name, "has no apps; add at least one app");
  }
  const auto& f = cfg.faults;
  if (f.window_error_code != "AF20055" && f.window_error_code != "AF20030")
    return bad("faults.window_error_code", "must be AF20055 or AF20030");
  if (f.next_page_api_version != "v1.0" && f.next_page_api_version != "v1")
    return bad("faults.next_page_api_version", "must be v1.0 or v1");
  if (!f.content_uri_base.empty() && f.content_uri_base.rfind("http", 0) != 0)
    return bad("faults.content_uri_base", "must be an absolute http(s) URL");
  return okStatus();
}

}  // namespace o365fwd::sim
