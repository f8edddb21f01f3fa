// o365fwd: argv -> subcommand -> exit code. The subcommands live in app/*_command.cpp.
#include "app/cli.h"
#include "core/memory_policy.h"

int main(int argc, char** argv) {
  o365fwd::applyMemoryPolicy();  // before any thread: see core/memory_policy.h
  return o365fwd::runCli(argc, argv);
}
