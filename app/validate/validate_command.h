#pragma once
// `o365fwd validate [-c FILE] [--json] [--offline] [--fix] [--verbose] [--parallel N]`: the
// "Test Connection" step of a SIEM console and the unit's ExecStartPre. Runs the validation
// stages in order on the calling thread (the tenants' network checks on up to `parallel` workers);
// each stage appends CheckResults to one ValidationReport and may leave what it produced (the
// parsed configuration, loaded credentials) in the ValidationContext for later stages.
// Stages never print and never stop the run: every problem of every stage is reported.
// Exit code: ValidationReport::exitCode() (0 ok, 1 a check failed, 2 configuration invalid).
//
// Adding a stage: write `void checkSomething(ValidationContext& ctx)` (its own file when it is
// more than a few lines), honour ctx.options.offline for network work, and call it from
// runValidation() in the right order.
#include <map>
#include <string>

#include "app/cli.h"
#include "app/validate/validation_report.h"
#include "core/clock.h"
#include "core/config/config_loader.h"
#include "core/secrets/secret_loader.h"

namespace o365fwd {

// Above this many tenants the text report is brief (failures, warnings, a summary) unless
// --verbose.
inline constexpr std::size_t kBriefAboveTenants = 10;

struct ValidateOptions {
  std::string config_path;
  bool json = false;     // print the report as JSON (docs/VALIDATE.md)
  bool offline = false;  // skip the checks that need the network
  bool fix = false;      // start the subscriptions that are not enabled (network checks)

  int parallel = 16;     // tenants checked at the same time (network checks)
  bool verbose = false;  // text: every check, also with more than kBriefAboveTenants tenants

  // Onboarding one customer (app/validate/validate_scope.h): only this tenant, or only the
  // tenants of this file (in tenants_dir or not yet).
  std::string tenant;
  std::string tenants_file;
};

struct ValidationContext {
  ValidateOptions options;
  Clock& clock;
  SecretEnvironment secret_env;
  LoadedConfig loaded;  // by checkConfiguration(); may hold errors
  // By checkCredentials(), keyed by tenant name; only tenants whose credential loaded.
  std::map<std::string, LoadedSecret> secrets;
  std::map<std::string, LoadedCertificate> certificates;
  ValidationReport report;
};

// Stage 1: read, parse and check the configuration file; one "configuration" check holding
// every problem.
void checkConfiguration(ValidationContext& ctx);
// Stage 2: load every tenant's client secret or certificate; one "credential" check per tenant
// (its source is reported, never its value). Failures count as configuration errors.
void checkCredentials(ValidationContext& ctx);

// Runs every stage and stamps finished_at and the summary.
ValidationReport runValidation(const ValidateOptions& options, Clock& clock,
                               const SecretEnvironment& env = {});

void registerValidateCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result);

}  // namespace o365fwd
