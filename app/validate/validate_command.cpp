#include "app/validate/validate_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "app/credentials/credential_expiry.h"
#include "app/validate/validate_checks.h"
#include "app/validate/validate_cluster.h"
#include "app/validate/validate_scope.h"
#include "core/logging.h"
#include "core/secrets/crypto.h"
#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

std::string plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string hexUpper(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// The YAML key that holds a tenant's credential source, for problem lines.
std::string credentialKey(const TenantConfig& t) {
  if (t.client_secret_file) return "client_secret_file";
  if (t.client_secret_env) return "client_secret_env";
  if (t.client_secret_credential) return "client_secret_credential";
  if (t.client_secret) return "client_secret";
  return "certificate_file";
}

// True when the configuration already reports a problem with this tenant's credential settings.
bool credentialSettingsInvalid(const LoadedConfig& loaded, const std::string& tenant_path,
                               const TenantConfig& t) {
  if (!t.source_file.empty()) return false;  // a tenants_dir file: left out when invalid
  for (const ConfigIssue& issue : loaded.issues) {
    if (issue.warning || issue.file != loaded.config.source_path) continue;
    if (issue.path == tenant_path) return true;
    for (const char* key : {".client_secret", ".certificate_file", ".private_key_file"})
      if (issue.path.rfind(tenant_path + key, 0) == 0) return true;
  }
  return false;
}

class Stopwatch {
 public:
  explicit Stopwatch(Clock& clock) : clock_(clock), start_(clock.steadyNow()) {}
  std::chrono::milliseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steadyNow() - start_);
  }

 private:
  Clock& clock_;
  SteadyTime start_;
};

// "3 tenants: contoso, fabrikam, northwind" (at most kMaxNamed names, then "+N more").
std::string usersOf(const LoadedConfig& loaded, const std::vector<size_t>& indices) {
  constexpr size_t kMaxNamed = 10;
  std::string out = plural(indices.size(), "tenant") + ": ";
  for (size_t k = 0; k < indices.size() && k < kMaxNamed; ++k)
    out += (k ? ", " : "") + loaded.config.tenants[indices[k]].name;
  if (indices.size() > kMaxNamed)
    out += ", +" + std::to_string(indices.size() - kMaxNamed) + " more";
  return out;
}

// The YAML path of the named `credentials:` entry ("credentials[2]"); empty when not found.
std::string credentialPath(const Config& config, const std::string& name) {
  for (size_t k = 0; k < config.credentials.size(); ++k)
    if (config.credentials[k].name == name) return "credentials[" + std::to_string(k) + "]";
  return "";
}

// Loads the credential of tenants[index] and reports it as one "credential" check. `users`:
// the tenants that share the named credential tenants[index] refers to (the first of them is
// `index`): the check is then about the credential, said once with the tenants it serves, and the
// others' copies are loaded without a check of their own (the same source, the same problems).
void checkTenantCredential(ValidationContext& ctx, size_t index,
                           const std::vector<size_t>* users = nullptr) {
  const TenantConfig& t = ctx.loaded.config.tenants[index];
  std::string tenant_path = "tenants[" + std::to_string(index) + "]";
  Stopwatch watch(ctx.clock);
  CheckResult check;
  check.name = "credential";
  check.target = t.name.empty() ? tenant_path : t.name;
  check.configuration = true;
  check.tenant = t.name;
  std::string key_path = tenant_path + "." + credentialKey(t);
  const std::string shared_path =
      users ? credentialPath(ctx.loaded.config, t.credential) : std::string();
  if (users) {
    check.target = "credential " + t.credential;
    check.tenant.clear();  // about the credential; its tenants are named in the detail
    if (!shared_path.empty()) key_path = shared_path + "." + credentialKey(t);
  }
  auto problem = [&](std::string message, bool warning) {
    check.problems.push_back(ConfigIssue{ctx.loaded.config.source_path, key_path,
                                         ctx.loaded.lineOf(key_path), std::move(message), warning});
  };
  std::vector<std::string> warnings;
  if (credentialSettingsInvalid(ctx.loaded, tenant_path, t)) {
    check.status = CheckResult::kSkip;
    check.detail = "not loaded: the credential settings are invalid (see configuration)";
  } else if (t.certificate_file) {
    auto cert = loadCertificate(t, ctx.clock.wallNow());
    if (!cert.ok()) {
      check.status = CheckResult::kFail;
      check.detail = "the certificate credential cannot be used";
      problem(cert.error().message, false);
    } else {
      check.detail =
          cert->source + " (thumbprint " + hexUpper(crypto::sha1(cert->certificate.der())) +
          ", expires " +
          formatApiTime(WallTime(std::chrono::seconds(cert->certificate.notAfterEpoch()))) + "Z)";
      warnings = cert->warnings;
      ctx.certificates.insert_or_assign(t.name, std::move(*cert));
    }
  } else {
    auto secret = loadClientSecret(t, ctx.secret_env);
    if (!secret.ok()) {
      check.status = CheckResult::kFail;
      check.detail = "the client secret cannot be used";
      problem(secret.error().message, false);
    } else {
      check.detail = "client secret from " + secret->source;
      warnings = secret->warnings;
      if (t.client_secret_expires) {
        const WallTime now = ctx.clock.wallNow();
        const std::string level = judgeExpiry(*t.client_secret_expires, now);
        check.detail += ", " + expiryPhrase(*t.client_secret_expires, now) +
                        " (client_secret_expires" +
                        (t.credential.empty() ? "" : " of credential " + t.credential) + ")";
        if (level == "expired")
          warnings.push_back("client_secret_expires says the client secret " +
                             expiryPhrase(*t.client_secret_expires, now) +
                             "; token requests fail with AADSTS7000222 unless it was renewed "
                             "(then correct client_secret_expires). " +
                             expiryRemedy("client_secret"));
        else if (level != "ok")
          warnings.push_back("the client secret " + expiryPhrase(*t.client_secret_expires, now) +
                             (level == "critical" ? "; renew it now: " : "; ") +
                             expiryRemedy("client_secret"));
      }
      ctx.secrets.insert_or_assign(t.name, std::move(*secret));
    }
  }
  for (std::string& w : warnings) problem(std::move(w), true);
  if (check.status == CheckResult::kPass && !warnings.empty()) check.status = CheckResult::kWarn;
  if (users) {
    check.detail += "; used by " + usersOf(ctx.loaded, *users);
    // The other tenants get the loaded credential for their token checks.
    for (size_t k = 1; k < users->size(); ++k) {
      const TenantConfig& other = ctx.loaded.config.tenants[(*users)[k]];
      if (other.certificate_file) {
        auto cert = loadCertificate(other, ctx.clock.wallNow());
        if (cert.ok()) ctx.certificates.insert_or_assign(other.name, std::move(*cert));
      } else {
        auto secret = loadClientSecret(other, ctx.secret_env);
        if (secret.ok()) ctx.secrets.insert_or_assign(other.name, std::move(*secret));
      }
    }
  }
  check.duration = watch.elapsed();
  ctx.report.checks.push_back(std::move(check));
}

std::string summaryOf(const ValidationContext& ctx) {
  const ValidationReport& r = ctx.report;
  const Config& config = ctx.loaded.config;
  size_t errors = 0, warnings = 0;
  for (const CheckResult& c : r.checks)
    for (const ConfigIssue& p : c.problems) (p.warning ? warnings : errors)++;
  if (r.exitCode() == 2)
    return "configuration invalid, " + plural(errors, "error") +
           (warnings ? ", " + plural(warnings, "warning") : "") + " in " + ctx.options.config_path;
  if (r.exitCode() != 0) return "";  // the generic "N of M checks failed"
  std::string out = "configuration valid, " + plural(config.tenants.size(), "tenant") + ", " +
                    plural(config.sinks.size(), "sink");
  if (warnings) out += ", " + plural(warnings, "warning");
  size_t not_started = 0;
  for (const CheckResult& c : r.checks) not_started += c.code == "not_started";
  if (not_started)
    out += ", " + plural(not_started, "subscription") + " not started yet (`o365fwd run` starts " +
           (not_started == 1 ? "it" : "them") + ")";
  return out;
}

}  // namespace

void checkConfiguration(ValidationContext& ctx) {
  Stopwatch watch(ctx.clock);
  ctx.loaded = loadConfigFile(ctx.options.config_path);
  narrowToScope(ctx.loaded, ctx.options.tenant, ctx.options.tenants_file);
  CheckResult check;
  check.name = "configuration";
  check.target = ctx.options.config_path;
  check.configuration = true;
  check.problems = ctx.loaded.issues;
  int errors = ctx.loaded.errorCount(), warnings = ctx.loaded.warningCount();
  if (errors > 0) {
    check.status = CheckResult::kFail;
    check.detail = plural(static_cast<size_t>(errors), "error") +
                   (warnings ? ", " + plural(static_cast<size_t>(warnings), "warning") : "");
    check.remedy =
        "correct each problem above (file:line: key: message), then run "
        "`o365fwd validate` again";
  } else {
    const Config& c = ctx.loaded.config;
    check.status = warnings ? CheckResult::kWarn : CheckResult::kPass;
    check.detail = plural(c.tenants.size(), "tenant") + ", " + plural(c.sinks.size(), "sink") +
                   ", state in " + c.state_dir;
  }
  check.duration = watch.elapsed();
  ctx.report.checks.push_back(std::move(check));
}

void checkCredentials(ValidationContext& ctx) {
  if (ctx.loaded.config.tenants.empty()) {
    CheckResult check;
    check.name = "credential";
    check.status = CheckResult::kSkip;
    check.detail = "no tenant could be read from the configuration";
    ctx.report.checks.push_back(std::move(check));
    return;
  }
  // A shared credential (`credential: NAME`) is loaded and reported once, naming its tenants:
  // its expiry or an unreadable secret file is one line, not one per tenant.
  const std::vector<TenantConfig>& tenants = ctx.loaded.config.tenants;
  std::map<std::string, std::vector<size_t>> users;
  for (size_t i = 0; i < tenants.size(); ++i)
    if (!tenants[i].credential.empty() &&
        !credentialSettingsInvalid(ctx.loaded, "tenants[" + std::to_string(i) + "]", tenants[i]))
      users[tenants[i].credential].push_back(i);
  for (size_t i = 0; i < tenants.size(); ++i) {
    auto it = users.find(tenants[i].credential);
    if (tenants[i].credential.empty() || it == users.end() ||
        std::find(it->second.begin(), it->second.end(), i) == it->second.end()) {
      checkTenantCredential(ctx, i);
    } else if (it->second.front() == i) {
      checkTenantCredential(ctx, i, &it->second);
    }
  }
}

ValidationReport runValidation(const ValidateOptions& options, Clock& clock,
                               const SecretEnvironment& env) {
  ValidationContext ctx{options, clock, env, {}, {}, {}, {}};
  checkConfiguration(ctx);
  checkCredentials(ctx);
  if (!options.offline && ctx.report.exitCode() != 2) {
    checkStateDirectory(ctx);
    checkTenants(ctx);
    checkSinks(ctx);
    checkClusterTopicsStage(ctx);
  }
  ctx.report.summary = summaryOf(ctx);
  ctx.report.finished_at = clock.wallNow();
  return std::move(ctx.report);
}

void registerValidateCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto* sub = app.add_subcommand(
      "validate",
      "Check the configuration and credentials (Test Connection); exit 0 ok, 1 a "
      "check failed, 2 configuration invalid");
  auto options = std::make_shared<ValidateOptions>();
  sub->add_flag("--json", options->json, "Print the report as JSON (fields: docs/VALIDATE.md)");
  sub->add_flag("--offline", options->offline,
                "Skip the checks that need the network (for ExecStartPre)");
  sub->add_flag("--fix", options->fix,
                "Start the subscriptions of configured content types that are not enabled");
  sub->add_flag("--verbose", options->verbose,
                "Print every check; by default, with more than " +
                    std::to_string(kBriefAboveTenants) +
                    " tenants, only failures, warnings and a summary");
  sub->add_option("--parallel", options->parallel, "Tenants checked at the same time")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->add_option("--tenant", options->tenant, "Check only this tenant (onboarding one customer)");
  sub->add_option("--tenants-file", options->tenants_file,
                  "Check only the tenants of this file (in tenants_dir, or one to be copied "
                  "there)");
  sub->callback([&global, &result, options] {
    options->config_path = global.config_path;
    LogOptions log_options;  // the report is the output; library logs only when they matter
    log_options.level = "warn";
    setupLogging(log_options);
    SystemClock clock;
    ValidationReport report = runValidation(*options, clock);
    const bool brief = !options->verbose && report.tenantCount() > kBriefAboveTenants;
    std::cout << redactSecrets(options->json ? report.renderJson() : report.renderText(brief))
              << std::flush;
    result.exit_code = report.exitCode();
  });
}

}  // namespace o365fwd
