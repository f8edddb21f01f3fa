#include "app/subscriptions_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "app/runtime.h"
#include "core/config/config_loader.h"
#include "core/logging.h"
#include "core/secrets/redact.h"

namespace o365fwd {
namespace {

struct SubscriptionArgs {
  std::string action;
  std::vector<std::string> tenants;
  std::vector<std::string> content_types;
};

bool wanted(const std::vector<std::string>& filter, const std::string& value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

int runSubscriptions(const std::string& config_path, const SubscriptionArgs& args) {
  LoadedConfig loaded = loadConfigFile(config_path);
  if (!loaded.valid()) {
    std::cerr << "o365fwd: the configuration " << config_path << " is invalid:\n";
    for (const ConfigIssue& issue : loaded.issues)
      if (!issue.warning) std::cerr << "  " << redactSecrets(issue.describe()) << "\n";
    return 2;
  }
  LogOptions log_options;
  log_options.level = "warn";
  setupLogging(log_options);
  for (const std::string& ct : args.content_types)
    if (!isKnownContentType(ct)) {
      std::cerr << "o365fwd: --content-type " << ct << " is not a content type\n";
      return 2;
    }
  SystemClock clock;
  Random random(Random::seedFromDevice());
  auto runtime = Runtime::create(loaded.config, clock, random);
  if (!runtime.ok()) {
    std::cerr << "o365fwd: " << redactSecrets(runtime.error().describe()) << "\n";
    return 1;
  }
  for (const std::string& name : args.tenants)
    if (!(*runtime)->tenant(name)) {
      std::cerr << "o365fwd: --tenant " << name
                << ": no tenant of that name in the configuration\n";
      return 2;
    }
  std::stop_source stop;
  int exit_code = 0;
  for (const auto& t : (*runtime)->tenants()) {
    if (!wanted(args.tenants, t->config->name)) continue;
    if (args.action == "list") {
      auto list = t->subscriptions->list(stop.get_token());
      if (!list.ok()) {
        std::printf("%-16s ERROR %s\n", t->config->name.c_str(),
                    redactSecrets(list.error().describe()).c_str());
        exit_code = 1;
        continue;
      }
      for (const std::string& ct : t->config->content_types) {
        if (!wanted(args.content_types, ct)) continue;
        std::string status = "not subscribed";
        for (const SubscriptionInfo& s : *list)
          if (s.content_type == ct) status = s.status;
        std::printf("%-16s %-28s %s\n", t->config->name.c_str(), ct.c_str(), status.c_str());
      }
      continue;
    }
    for (const std::string& ct : t->config->content_types) {
      if (!wanted(args.content_types, ct)) continue;
      Status s = args.action == "start" ? t->subscriptions->start(ct, stop.get_token())
                                        : t->subscriptions->stop(ct, stop.get_token());
      if (s.ok()) {
        std::printf("%-16s %-28s %s\n", t->config->name.c_str(), ct.c_str(),
                    args.action == "start" ? "enabled" : "stopped");
      } else {
        std::printf("%-16s %-28s ERROR %s\n", t->config->name.c_str(), ct.c_str(),
                    redactSecrets(s.error().describe()).c_str());
        exit_code = 1;
      }
    }
  }
  return exit_code;
}

}  // namespace

void registerSubscriptionsCommand(CLI::App& app, const GlobalOptions& global,
                                  CommandResult& result) {
  auto* cmd =
      app.add_subcommand("subscriptions", "List, start or stop the tenants' content subscriptions");
  auto args = std::make_shared<SubscriptionArgs>();
  cmd->add_option("action", args->action, "list | start | stop")
      ->required()
      ->check(CLI::IsMember({"list", "start", "stop"}));
  cmd->add_option("--tenant", args->tenants, "Only this tenant (repeatable)");
  cmd->add_option("--content-type", args->content_types, "Only this content type (repeatable)");
  cmd->footer(
      "stop: content made available while a subscription is stopped can never be retrieved later.");
  cmd->callback(
      [&global, &result, args] { result.exit_code = runSubscriptions(global.config_path, *args); });
}

}  // namespace o365fwd
