#include "app/run_command.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "app/collection_service.h"
#include "core/time_format.h"

namespace o365fwd {

void registerRunCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto* run = app.add_subcommand("run", "Collect every configured tenant and content type and forward the records");
  auto once = std::make_shared<bool>(false);
  run->add_flag(
      "--once", *once,
      "Collect what is available now, deliver it, commit, and exit (0 when everything was "
      "delivered, 1 when a stream did not finish, 3 when content was dead-lettered or lost)");
  run->callback([&global, &result, once] {
    CollectionRequest request;
    request.config_path = global.config_path;
    request.mode = *once ? CollectorMode::kOnce : CollectorMode::kDaemon;
    result.exit_code = runCollection(request);
  });
}

void registerReplayCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto* replay = app.add_subcommand(
      "replay",
      "Forward again every record of content created in [--from, --to) (within the API's 7 days), "
      "without de-duplication; watermarks are not moved");
  struct Options {
    std::string from, to;
    std::vector<std::string> tenants, content_types;
  };
  auto opts = std::make_shared<Options>();
  replay->add_option("--from", opts->from, "Start, UTC (2025-01-14T00:00:00 or 2025-01-14)")->required();
  replay->add_option("--to", opts->to, "End (exclusive), UTC")->required();
  replay->add_option("--tenant", opts->tenants, "Only this tenant (repeatable)");
  replay->add_option("--content-type", opts->content_types, "Only this content type (repeatable)");
  replay->callback([&global, &result, opts] {
    auto from = parseUtc(opts->from);
    auto to = parseUtc(opts->to);
    if (!from || !to) {
      std::cerr << "o365fwd replay: --from and --to must be UTC times like 2025-01-14T00:00:00\n";
      result.exit_code = 2;
      return;
    }
    if (*from >= *to) {
      std::cerr << "o365fwd replay: --from must be before --to\n";
      result.exit_code = 2;
      return;
    }
    CollectionRequest request;
    request.config_path = global.config_path;
    request.mode = CollectorMode::kReplay;
    request.replay_window = ListingWindow{*from, *to};
    request.tenants = opts->tenants;
    request.content_types = opts->content_types;
    result.exit_code = runCollection(request);
  });
}

}  // namespace o365fwd
