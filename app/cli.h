#pragma once
// Parses the command line (CLI11) and dispatches to the subcommands of DESIGN.md
// ("Command line contract"). Called once, from main(), on the main thread.
// Exit codes: 0 ok, 1 a check or run failed, 2 invalid configuration or usage (CLI11 parse
// errors included). `--help` on the program or any subcommand prints help and exits 0.
//
// Adding a subcommand is a two-line change in cli.cpp. The pattern:
//   app/<name>_command.h   declares
//       void register<Name>Command(CLI::App& app, const GlobalOptions& global,
//                                  CommandResult& result);
//   app/<name>_command.cpp adds `app.add_subcommand("<name>", "...")` with its own options and
//       a callback that runs the command and stores its exit code in `result.exit_code`. The
//       callback reads `global.config_path` when it runs (it is filled during parsing).
//   app/cli.cpp            #include "app/<name>_command.h" and append register<Name>Command to
//       kCommands.
// runCli() adds `-c,--config FILE` (default defaultConfigPath()) to the program and to every
// registered subcommand, so `o365fwd -c F validate` and `o365fwd validate -c F` both work.
#include <string>

namespace CLI {
class App;
}

namespace o365fwd {

struct GlobalOptions {
  std::string config_path;  // -c/--config, else $O365FWD_CONFIG, else /etc/o365fwd/connector.yaml
};

struct CommandResult {
  int exit_code = 0;  // set by the subcommand's callback
};

using RegisterCommand = void (*)(CLI::App& app, const GlobalOptions& global, CommandResult& result);

int runCli(int argc, char** argv);

}  // namespace o365fwd
