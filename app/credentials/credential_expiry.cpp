#include "app/credentials/credential_expiry.h"

#include <algorithm>

#include "app/status/fleet_health.h"
#include "app/status/status_table.h"
#include "core/secrets/crypto.h"
#include "core/logging.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

constexpr std::chrono::hours kLogEvery{24};

int severity(const std::string& level) {
  if (level == "expired") return 3;
  if (level == "critical") return 2;
  if (level == "warning") return 1;
  return 0;  // ok, unknown (an unreadable certificate fails the token request, which says so)
}

std::string utcText(WallTime t) {
  return formatApiTime(t) + "Z";
}

void sortTenants(std::vector<std::string>& tenants) {
  std::sort(tenants.begin(), tenants.end(),
            [](const std::string& a, const std::string& b) { return naturalLess(a, b); });
}

// The configured fields of one credential; kind "" when its expiry cannot be known.
CredentialExpirySource sourceOf(const std::string& name,
                                const std::optional<std::string>& certificate_file,
                                const std::optional<WallTime>& secret_expires) {
  CredentialExpirySource s;
  s.name = name;
  if (certificate_file) {
    s.kind = "certificate";
    s.certificate_file = *certificate_file;
  } else if (secret_expires) {
    s.kind = "client_secret";
    s.secret_expires = secret_expires;
  }
  return s;
}

}  // namespace

const char* judgeExpiry(WallTime expires_at, WallTime now) {
  if (now >= expires_at) return "expired";
  if (expires_at - now <= kExpiryCritical) return "critical";
  if (expires_at - now <= kExpiryWarning) return "warning";
  return "ok";
}

std::string expiryRemedy(const std::string& kind) {
  if (kind == "certificate")
    return "renew it: upload a new certificate to the app registration (Entra admin center: App "
           "registrations > the app > Certificates & secrets), point certificate_file and "
           "private_key_file at it, then `systemctl reload o365fwd`";
  return "renew it: add a new client secret to the app registration (Entra admin center: App "
         "registrations > the app > Certificates & secrets > Client secrets), put its Value in "
         "the secret file, set client_secret_expires to its Expires date, then `systemctl reload "
         "o365fwd`";
}

std::string expiryPhrase(WallTime expires_at, WallTime now) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (now >= expires_at)
    return "expired on " + utcText(expires_at) + " (" +
           humanDuration(duration_cast<seconds>(now - expires_at)) + " ago)";
  return "expires on " + utcText(expires_at) + " (in " +
         humanDuration(duration_cast<seconds>(expires_at - now)) + ")";
}

std::string tenantList(const std::vector<std::string>& tenants, std::size_t shown) {
  if (tenants.empty()) return "no tenant";
  std::string out;
  const std::size_t n = std::min(shown, tenants.size());
  for (std::size_t i = 0; i < n; ++i) out += (i ? ", " : "") + tenants[i];
  if (tenants.size() > n) out += " and " + groupedCount(tenants.size() - n) + " more";
  return out;
}

std::vector<CredentialExpirySource> credentialExpirySources(
    const std::vector<TenantConfig>& tenants, const std::vector<CredentialConfig>& credentials) {
  std::vector<CredentialExpirySource> out;
  std::map<std::string, std::size_t> named;
  for (const CredentialConfig& c : credentials) {
    CredentialExpirySource s = sourceOf(c.name, c.certificate_file, c.client_secret_expires);
    if (s.kind.empty() || named.count(c.name)) continue;
    named.emplace(c.name, out.size());
    out.push_back(std::move(s));
  }
  for (const TenantConfig& t : tenants) {
    if (!t.credential.empty()) {
      if (auto it = named.find(t.credential); it != named.end())
        out[it->second].tenants.push_back(t.name);
      continue;
    }
    CredentialExpirySource s =
        sourceOf("tenant:" + t.name, t.certificate_file, t.client_secret_expires);
    if (s.kind.empty()) continue;
    s.tenants.push_back(t.name);
    out.push_back(std::move(s));
  }
  for (CredentialExpirySource& s : out) sortTenants(s.tenants);
  return out;
}

std::vector<CredentialReport> readCredentialExpiry(
    const std::vector<CredentialExpirySource>& sources, WallTime now) {
  std::vector<CredentialReport> out;
  out.reserve(sources.size());
  for (const CredentialExpirySource& s : sources) {
    CredentialReport r;
    r.name = s.name;
    r.kind = s.kind;
    r.tenants = s.tenants;
    if (s.kind == "certificate") {
      r.source = s.certificate_file;
      auto cert = crypto::Certificate::fromPemFile(s.certificate_file);
      if (cert.ok())
        r.expires_at = WallTime(std::chrono::seconds(cert->notAfterEpoch()));
      else
        r.problem = cert.error().message;
    } else {
      r.source = "client_secret_expires";
      r.expires_at = s.secret_expires;
    }
    r.level = r.expires_at ? judgeExpiry(*r.expires_at, now) : "unknown";
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const CredentialReport& a, const CredentialReport& b) {
                     if (a.expires_at.has_value() != b.expires_at.has_value())
                       return !a.expires_at.has_value();
                     return a.expires_at && *a.expires_at < *b.expires_at;
                   });
  return out;
}

void CredentialExpiryWatch::refresh(const std::vector<TenantConfig>& tenants,
                                    const std::vector<CredentialConfig>& credentials) {
  auto sources = credentialExpirySources(tenants, credentials);
  auto read = readCredentialExpiry(sources, clock_.wallNow());
  std::lock_guard lock(mu_);
  sources_ = std::move(sources);
  read_ = std::move(read);
}

void CredentialExpiryWatch::reread() {
  std::vector<CredentialExpirySource> sources;
  {
    std::lock_guard lock(mu_);
    sources = sources_;
  }
  auto read = readCredentialExpiry(sources, clock_.wallNow());
  std::lock_guard lock(mu_);
  read_ = std::move(read);
}

std::vector<CredentialReport> CredentialExpiryWatch::reports(WallTime now) const {
  std::vector<CredentialReport> out;
  {
    std::lock_guard lock(mu_);
    out = read_;
  }
  for (CredentialReport& r : out)
    if (r.expires_at) r.level = judgeExpiry(*r.expires_at, now);
  return out;
}

void CredentialExpiryWatch::logDue(WallTime now) {
  auto log = getLogger("app.credentials");
  std::vector<CredentialReport> due;
  {
    std::lock_guard lock(mu_);
    for (CredentialReport r : read_) {
      if (!r.expires_at) continue;
      r.level = judgeExpiry(*r.expires_at, now);
      const int level = severity(r.level);
      auto it = logged_.find(r.name);
      if (level == 0) {
        if (it != logged_.end()) logged_.erase(it);  // renewed: a later warning is news again
        continue;
      }
      const bool news = it == logged_.end() || severity(it->second.level) < level ||
                        it->second.expires_at != r.expires_at || now - it->second.at >= kLogEvery;
      if (!news) continue;
      logged_[r.name] = Logged{now, r.level, r.expires_at};
      due.push_back(std::move(r));
    }
  }
  for (const CredentialReport& r : due) {
    const std::string what =
        r.kind == "certificate" ? "certificate " + r.source : std::string("client secret");
    std::string users = r.tenants.size() == 1 ? "tenant " + r.tenants[0]
                                              : groupedCount(r.tenants.size()) + " tenants (" +
                                                    tenantList(r.tenants) + ")";
    std::string text = "Credential " + r.name + " (" + what + ") " +
                       expiryPhrase(*r.expires_at, now) + "; used by " + users + ". ";
    if (r.level == "expired")
      text += (r.kind == "certificate"
                   ? std::string("Token requests fail until it is replaced; ")
                   : std::string("Token requests fail (AADSTS7000222) unless it was renewed "
                                 "already (then correct client_secret_expires); ")) +
              expiryRemedy(r.kind);
    else
      text += "Collection stops when it expires; " + expiryRemedy(r.kind);
    if (r.level == "warning")
      log->warn("{}", text);
    else
      log->error("{}", text);
  }
}

void CredentialExpiryWatch::start(std::chrono::milliseconds interval) {
  stop();
  thread_ = std::jthread([this, interval](std::stop_token stop) {
    while (!stop.stop_requested()) {
      logDue(clock_.wallNow());
      if (!clock_.sleepFor(interval, stop)) return;
    }
  });
}

void CredentialExpiryWatch::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

}  // namespace o365fwd
