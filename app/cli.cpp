#include "app/cli.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "core/version.h"

namespace o365fwd {

int runCli(int argc, char** argv) {
  CLI::App app{"o365fwd: forwards Office 365 Management Activity audit records to SIEMs"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print the version and exit");
  version->callback([] { std::cout << "o365fwd " << kVersion << " (" << kGitCommit << ")\n"; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace o365fwd
