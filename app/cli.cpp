#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "app/cluster_command.h"
#include "app/run_command.h"
#include "app/status/status_command.h"
#include "app/subscriptions_command.h"
#include "app/validate/validate_command.h"
#include "core/config/config_loader.h"
#include "core/secrets/redact.h"
#include "core/version.h"

namespace o365fwd {
namespace {

void registerVersionCommand(CLI::App& app, const GlobalOptions&, CommandResult& result) {
  auto* version = app.add_subcommand("version", "Print the version and exit");
  version->callback([&result] {
    std::cout << "o365fwd " << kVersion << " (" << kGitCommit << ")\n";
    result.exit_code = 0;
  });
}

// Every subcommand, in the order `--help` lists them.
constexpr RegisterCommand kCommands[] = {
    registerRunCommand,      registerReplayCommand, registerSubscriptionsCommand,
    registerValidateCommand, registerStatusCommand, registerClusterCommand,
    registerVersionCommand,
};

constexpr int kUsageError = 2;

}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{"o365fwd: forwards Office 365 Management Activity audit records to SIEMs"};
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 a check or run failed, 2 invalid configuration or usage.");
  GlobalOptions global;
  global.config_path = defaultConfigPath();
  CommandResult result;
  const std::string config_help =
      "Configuration file (default: $O365FWD_CONFIG or /etc/o365fwd/connector.yaml)";
  app.add_option("-c,--config", global.config_path, config_help)->type_name("FILE");
  for (RegisterCommand add : kCommands) add(app, global, result);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    sub->add_option("-c,--config", global.config_path, config_help)->type_name("FILE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsageError;
  } catch (const std::exception& e) {
    std::cerr << "o365fwd: internal error: " << redactSecrets(e.what()) << "\n";
    return 1;
  }
  return result.exit_code;
}

}  // namespace o365fwd
