#include "sim/sim_state.h"

#include <rapidjson/document.h>

#include "sim/json_text.h"

namespace o365fwd::sim {
namespace {

Error bad(const std::string& what) {
  return Error::permanent(ErrorKind::kConfig, "config update: " + what);
}

}  // namespace

SimState::SimState(const SimConfig& config, Clock& clock)
    : clock_(clock),
      skew_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(config.clock_skew).count()) {
  global_.faults = config.faults;
  global_.token_lifetime = config.token_lifetime;
  global_.page_size = config.page_size;
  global_.shared_throttle_per_minute = config.shared_throttle_per_minute;
  for (const auto& t : config.tenants) {
    TenantRuntime r;
    r.auditing_enabled = t.auditing_enabled;
    r.forced_token_error = t.forced_token_error;
    r.throttle = t.throttle;
    r.subscriptions = t.subscriptions;
    tenants_.push_back(r);
  }
}

WallTime SimState::now() const {
  return clock_.wallNow() + std::chrono::milliseconds(skew_ms_.load());
}

std::int64_t SimState::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
}

GlobalRuntime SimState::global() const {
  std::lock_guard lock(mu_);
  return global_;
}

TenantRuntime SimState::tenant(size_t i) const {
  std::lock_guard lock(mu_);
  return tenants_.at(i);
}

size_t SimState::tenantCount() const {
  std::lock_guard lock(mu_);
  return tenants_.size();
}

void SimState::setSubscription(size_t tenant, size_t content_type, SubscriptionState s) {
  std::lock_guard lock(mu_);
  tenants_.at(tenant).subscriptions.at(content_type) = s;
}

int SimState::countFetch(size_t tenant, size_t content_type, size_t blob) {
  std::lock_guard lock(mu_);
  return ++fetches_[{tenant, content_type, blob}];
}

Status SimState::applyUpdate(std::string_view json, const std::vector<TenantConfig>& tenants,
                             bool* expire_tokens) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return bad("the body must be a JSON object");
  // Validate everything first, then apply under one lock, so a bad document changes nothing.
  std::lock_guard lock(mu_);
  GlobalRuntime g = global_;
  std::vector<TenantRuntime> ts = tenants_;
  std::int64_t skew = skew_ms_.load();
  bool expire = false;
  std::vector<size_t> selected;
  if (auto it = doc.FindMember("tenant"); it != doc.MemberEnd()) {
    if (!it->value.IsString()) return bad("tenant must be a string (GUID, domain or name)");
    std::string sel = it->value.GetString();
    for (size_t i = 0; i < tenants.size(); ++i)
      if (tenants[i].tenant_id == sel || tenants[i].domain == sel || tenants[i].name == sel)
        selected.push_back(i);
    if (selected.empty()) return bad("no tenant matches '" + sel + "'");
  } else {
    for (size_t i = 0; i < ts.size(); ++i) selected.push_back(i);
  }
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    const std::string key = m->name.GetString();
    const auto& v = m->value;
    auto need = [&](bool ok, const char* what) -> Status {
      return ok ? okStatus() : Status(bad(key + " must be " + what));
    };
    Status s = okStatus();
    if (key == "tenant") {
    } else if (key == "transient_error_rate") {
      s = need(v.IsNumber() && v.GetDouble() >= 0 && v.GetDouble() <= 1, "a number in [0, 1]");
      if (s.ok()) g.faults.transient_error_rate = v.GetDouble();
    } else if (key == "token_lifetime") {
      s = need(v.IsInt() && v.GetInt() > 0, "a positive integer (seconds)");
      if (s.ok()) g.token_lifetime = v.GetInt();
    } else if (key == "page_size") {
      s = need(v.IsInt() && v.GetInt() > 0, "a positive integer");
      if (s.ok()) g.page_size = v.GetInt();
    } else if (key == "shared_throttle_per_minute") {
      s = need(v.IsInt() && v.GetInt() > 0, "a positive integer");
      if (s.ok()) g.shared_throttle_per_minute = v.GetInt();
    } else if (key == "next_page_loop" || key == "next_page_omit_publisher") {
      s = need(v.IsBool(), "true or false");
      if (s.ok())
        (key == "next_page_loop" ? g.faults.next_page_loop : g.faults.next_page_omit_publisher) =
            v.GetBool();
    } else if (key == "content_uri_base") {
      s = need(v.IsString(), "a string (empty: this server)");
      if (s.ok()) g.faults.content_uri_base = v.GetString();
    } else if (key == "window_error_code") {
      s = need(v.IsString() && (std::string(v.GetString()) == "AF20055" ||
                                std::string(v.GetString()) == "AF20030"),
               "AF20055 or AF20030");
      if (s.ok()) g.faults.window_error_code = v.GetString();
    } else if (key == "latency_ms") {
      s = need(v.IsInt() && v.GetInt() >= 0 && v.GetInt() <= 60000, "0 to 60000 (milliseconds)");
      if (s.ok()) g.faults.latency_ms = v.GetInt();
    } else if (key == "echo_credentials") {
      s = need(v.IsBool(), "true or false");
      if (s.ok()) g.faults.echo_credentials = v.GetBool();
    } else if (key == "clock_skew") {
      s = need(v.IsInt64(), "an integer number of seconds");
      if (s.ok()) skew = v.GetInt64() * 1000;
    } else if (key == "expire_tokens_now") {
      s = need(v.IsBool(), "true or false");
      if (s.ok()) expire = v.GetBool();
    } else if (key == "auditing_enabled") {
      s = need(v.IsBool(), "true or false");
      if (s.ok())
        for (size_t i : selected) ts[i].auditing_enabled = v.GetBool();
    } else if (key == "forced_token_error") {
      s = need(v.IsInt() && v.GetInt() >= 0, "an AADSTS code, or 0 for none");
      if (s.ok())
        for (size_t i : selected) ts[i].forced_token_error = v.GetInt();
    } else if (key == "throttle_per_minute") {
      s = need(v.IsInt() && v.GetInt() > 0, "a positive integer");
      if (s.ok())
        for (size_t i : selected) ts[i].throttle.per_minute = v.GetInt();
    } else if (key == "throttle_status") {
      s = need(v.IsInt() && (v.GetInt() == 403 || v.GetInt() == 429), "403 or 429");
      if (s.ok())
        for (size_t i : selected) ts[i].throttle.status = v.GetInt();
    } else if (key == "retry_after") {
      s = need(v.IsInt() && v.GetInt() >= 0, "a non-negative integer (seconds)");
      if (s.ok())
        for (size_t i : selected) ts[i].throttle.retry_after = v.GetInt();
    } else if (key == "subscriptions") {
      s = need(v.IsObject(), "an object {content type or \"*\": state}");
      for (auto e = v.IsObject() ? v.MemberBegin() : v.MemberEnd(); s.ok() && e != v.MemberEnd();
           ++e) {
        std::string ct = e->name.GetString();
        auto idx = contentTypeIndex(ct);
        std::optional<SubscriptionState> parsed;
        if (e->value.IsString()) parsed = parseSubscriptionState(e->value.GetString());
        if ((!idx && ct != "*") || !parsed.has_value()) {
          s = bad("subscriptions." + ct + " must name a content type and a state");
          break;
        }
        const SubscriptionState state = parsed.value();
        for (size_t i : selected)
          for (size_t c = 0; c < kContentTypeCount; ++c)
            if (!idx || *idx == c) ts[i].subscriptions[c] = state;
      }
    } else {
      s = bad("unknown key '" + key + "'");
    }
    if (!s.ok()) return s;
  }
  global_ = g;
  tenants_ = ts;
  skew_ms_.store(skew);
  if (expire_tokens != nullptr) *expire_tokens = expire;
  return okStatus();
}

std::string SimState::describe(const std::vector<TenantConfig>& tenants) const {
  std::lock_guard lock(mu_);
  std::string out =
      "{\"transient_error_rate\":" + std::to_string(global_.faults.transient_error_rate);
  out += ",\"token_lifetime\":" + std::to_string(global_.token_lifetime);
  out += ",\"page_size\":" + std::to_string(global_.page_size);
  out += ",\"shared_throttle_per_minute\":" + std::to_string(global_.shared_throttle_per_minute);
  out += ",\"clock_skew\":" + std::to_string(skew_ms_.load() / 1000);
  out += std::string(",\"next_page_loop\":") + (global_.faults.next_page_loop ? "true" : "false");
  out += std::string(",\"next_page_omit_publisher\":") +
         (global_.faults.next_page_omit_publisher ? "true" : "false");
  out += ",\"content_uri_base\":" + jsonString(global_.faults.content_uri_base);
  out += ",\"window_error_code\":" + jsonString(global_.faults.window_error_code);
  out +=
      std::string(",\"echo_credentials\":") + (global_.faults.echo_credentials ? "true" : "false");
  out += ",\"latency_ms\":" + std::to_string(global_.faults.latency_ms);
  out += ",\"tenants\":[";
  for (size_t i = 0; i < tenants_.size(); ++i) {
    const auto& t = tenants_[i];
    if (i > 0) out += ",";
    out += "{\"tenant_id\":" + jsonString(tenants[i].tenant_id) +
           ",\"name\":" + jsonString(tenants[i].name);
    out += std::string(",\"auditing_enabled\":") + (t.auditing_enabled ? "true" : "false");
    out += ",\"forced_token_error\":" + std::to_string(t.forced_token_error);
    out += ",\"throttle_per_minute\":" + std::to_string(t.throttle.per_minute);
    out += ",\"throttle_status\":" + std::to_string(t.throttle.status);
    out += ",\"retry_after\":" + std::to_string(t.throttle.retry_after);
    out += ",\"subscriptions\":{";
    for (size_t c = 0; c < kContentTypeCount; ++c) {
      if (c > 0) out += ",";
      out += jsonString(kContentTypes[c]) + ":" + jsonString(toString(t.subscriptions[c]));
    }
    out += "}}";
  }
  out += "]}";
  return out;
}

}  // namespace o365fwd::sim
