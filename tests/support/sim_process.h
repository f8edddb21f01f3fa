#pragma once
// A running o365fwd-sim for an integration test. start() adds --listen 127.0.0.1:0, --ledger,
// --credentials-out and --request-log (files in the test's TempDir), waits for the "listening"
// line and reads the simulator's own fake credentials. Owns the child: the destructor stops it
// (SIGTERM, then SIGKILL). One owning thread.
#include <memory>
#include <string>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/ledger.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace o365fwd::testing {

// One simulated tenant as written by --credentials-out (fake values the simulator generated).
struct SimTenant {
  std::string name;
  std::string tenant_id;
  std::string domain;
  std::string client_id;
  std::string client_secret;
  std::string certificate_file;  // empty unless --certificates DIR was given
  std::string private_key_file;
};

class SimProcess {
 public:
  // Returns nullptr (after reporting a gtest failure with the simulator's stderr) when the
  // simulator does not start within 30 s.
  static std::unique_ptr<SimProcess> start(std::vector<std::string> extra_args, const TempDir& dir);
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  int port() const { return port_; }
  // url()/api/v1.0/<tenant GUID>/activity/feed for tenant i.
  std::string apiRoot(size_t i = 0) const;
  std::vector<LedgerEntry> ledger() const;  // parsed --ledger file (empty on error + failure)
  size_t tenantCount() const { return tenants_.size(); }
  SimTenant tenant(size_t i) const { return tenants_.at(i); }
  std::string stats() const;  // body of GET /_sim/stats
  HttpResult admin(const std::string& method, const std::string& path,
                   const std::string& body = "") const;
  // A v2 access token for tenant i acquired with its client secret; empty on failure.
  std::string token(size_t i = 0) const;
  // Authorized API calls: `url` is absolute (e.g. apiRoot() + "/subscriptions/list?...").
  HttpResult get(const std::string& url, const std::string& token,
                 std::vector<std::string> extra_headers = {}) const;
  HttpResult post(const std::string& url, const std::string& token) const;
  std::string requestLogPath() const { return request_log_; }
  std::string ledgerPath() const { return ledger_path_; }
  // --issued-tokens-out: "<kind> <value>" lines (secrets known, tokens issued, assertions seen).
  std::string issuedTokensPath() const { return issued_tokens_path_; }
  ChildProcess& process() { return child_; }
  // SIGTERM and wait up to 10 s; returns the exit code (nullopt if it had to be killed).
  std::optional<int> stop();

 private:
  SimProcess() = default;
  ChildProcess child_;
  std::string url_;
  int port_ = 0;
  std::string ledger_path_;
  std::string credentials_path_;
  std::string request_log_;
  std::string issued_tokens_path_;
  std::vector<SimTenant> tenants_;
};

// A certificate client assertion (JWT) for the token endpoint, signed with the given key.
struct AssertionSpec {
  std::string certificate_pem;
  std::string private_key_pem;
  std::string audience;   // the exact token endpoint URL
  std::string client_id;  // iss and sub unless overridden
  bool ps256 = false;     // PS256 with x5t#S256; else RS256 with x5t
  long long nbf = 0;      // epoch seconds; 0: now
  long long exp = 0;      // epoch seconds; 0: nbf + 600
  std::string jti;        // empty: a fresh random GUID
  std::string iss_override;
  std::string sub_override;
};
// Empty on a signing error (reported as a gtest failure).
std::string makeClientAssertion(const AssertionSpec& spec);

}  // namespace o365fwd::testing
