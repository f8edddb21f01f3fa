#pragma once
// Parses the command line (CLI11) and dispatches to the subcommands of DESIGN.md.
// Exit codes: 0 ok, 1 a check or run failed, 2 invalid configuration or usage.
namespace o365fwd {
int runCli(int argc, char** argv);
}
