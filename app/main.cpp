// o365fwd: argv -> subcommand -> exit code. The subcommands live in app/*_command.cpp.
#include "app/cli.h"

int main(int argc, char** argv) { return o365fwd::runCli(argc, argv); }
