#pragma once
// Credential expiry (issue 13 part 3): when each application credential stops working, for the
// status views, /metrics, the log and `validate`. A certificate's expiry is its notAfter (read
// through the OpenSSL seam, core/crypto.h); a client secret's is `client_secret_expires` from the
// configuration (a token does not carry it). A credential shared by many tenants (`credentials:`)
// is one entry naming its tenants; a tenant's own certificate or dated secret is one entry of its
// own ("tenant:<name>"); a secret without a date has none.
//
// Levels: expired (now >= expiry), critical (within 7 days: ERROR, health degraded), warning
// (within 30 days: WARN), ok; unknown when the certificate cannot be read.
//
// CredentialExpiryWatch owns the current list. refresh() (start-up, SIGHUP) re-reads the
// certificates; reports() is called by the status snapshotter from the health server's threads;
// logDue() by its own thread once a minute (start()/stop()). Thread-safe. A credential at warning
// or worse is logged once per day, and at once when its level gets worse or its expiry changes.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "app/status/status_report.h"
#include "core/clock.h"
#include "core/config/config.h"

namespace o365fwd {

inline constexpr std::chrono::hours kExpiryWarning{24 * 30};
inline constexpr std::chrono::hours kExpiryCritical{24 * 7};

// "ok" | "warning" | "critical" | "expired", judged at `now`.
const char* judgeExpiry(WallTime expires_at, WallTime now);
// What to do for a credential of `kind` (certificate | client_secret), one sentence.
std::string expiryRemedy(const std::string& kind);
// "expires on 2027-05-01T00:00:00Z (in 5 days)" / "expired on ... (3 days ago)".
std::string expiryPhrase(WallTime expires_at, WallTime now);
// "contoso, fabrikam, tenant3 and 997 more" (at most `shown` names).
std::string tenantList(const std::vector<std::string>& tenants, std::size_t shown = 5);

// What the configuration says about each credential's expiry, before any file is read.
struct CredentialExpirySource {
  std::string name;  // `credentials:` name, or "tenant:<name>"
  std::string kind;  // certificate | client_secret
  std::string certificate_file;
  std::optional<WallTime> secret_expires;
  std::vector<std::string> tenants;  // natural order
};
// Named credentials (those used by a tenant, and unused ones) and each tenant's own credential
// with a known expiry, in configuration order.
std::vector<CredentialExpirySource> credentialExpirySources(
    const std::vector<TenantConfig>& tenants, const std::vector<CredentialConfig>& credentials);

// Reads the certificates of `sources` and judges every entry at `now`, soonest first.
std::vector<CredentialReport> readCredentialExpiry(
    const std::vector<CredentialExpirySource>& sources, WallTime now);

class CredentialExpiryWatch {
 public:
  explicit CredentialExpiryWatch(Clock& clock) : clock_(clock) {}
  ~CredentialExpiryWatch() { stop(); }
  CredentialExpiryWatch(const CredentialExpiryWatch&) = delete;
  CredentialExpiryWatch& operator=(const CredentialExpiryWatch&) = delete;

  // Start-up and SIGHUP with a valid configuration: the credentials it names, certificates read.
  void refresh(const std::vector<TenantConfig>& tenants,
               const std::vector<CredentialConfig>& credentials);
  // SIGHUP with an invalid configuration: the same credentials, certificates read again.
  void reread();
  // Each credential judged at `now` (levels move with time between refreshes).
  std::vector<CredentialReport> reports(WallTime now) const;
  // Logs each credential at warning or worse that is due (see the header comment).
  void logDue(WallTime now);

  // A thread that calls logDue() now and then every `interval` until stop().
  void start(std::chrono::milliseconds interval = std::chrono::minutes(1));
  void stop();

 private:
  struct Logged {
    WallTime at;
    std::string level;
    std::optional<WallTime> expires_at;
  };

  Clock& clock_;
  mutable std::mutex mu_;
  std::vector<CredentialExpirySource> sources_;
  std::vector<CredentialReport> read_;  // as of the last refresh
  std::map<std::string, Logged> logged_;
  std::jthread thread_;
};

}  // namespace o365fwd
