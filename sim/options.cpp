#include "sim/options.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "sim/defaults.h"

namespace o365fwd::sim {

std::optional<int> parseOptions(int argc, char** argv, SimOptions& o) {
  CLI::App app{
      "o365fwd-sim: an Office 365 Management Activity API simulator (token endpoints, "
      "subscriptions, content listing, blobs) for testing forwarders without a tenant. "
      "See docs/SIMULATOR.md."};
  app.add_option("--listen", o.listen, "ADDR:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--port-file", o.port_file, "write the bound port to this file");
  app.add_option("--scenario", o.scenario, "scenario JSON file (tenants, apps, knobs)");
  app.add_option("--ledger", o.ledger, "write the ledger NDJSON here at start");
  app.add_option("--request-log", o.request_log, "append one NDJSON line per request here");
  app.add_option("--credentials-out", o.credentials_out,
                 "write the fake tenants' credentials (JSON) here");
  app.add_option("--certificates", o.certificates_dir,
                 "generate a certificate + key per tenant app into DIR");
  app.add_option("--certificate-days", o.certificate_days,
                 "days the generated certificates are valid (an expiring credential)")
      ->capture_default_str()
      ->check(CLI::Range(1, 36500));
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error")->capture_default_str();
  app.add_option("--threads", o.threads, "HTTP worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--tenants", o.tenants, "generate N tenants (tenant1..tenantN)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--seed", o.seed, "seed of every generated value (default 1)");
  app.add_option("--content-types", o.content_types,
                 "content types that have data (comma separated)")
      ->delimiter(',');
  app.add_option("--blobs", o.blobs, "blobs per stream")->check(CLI::Range(0, 10'000'000));
  app.add_option("--records-per-blob", o.records_per_blob, "records per blob")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--record-size", o.record_size, "pad records to about B bytes")
      ->check(CLI::Range(0, 16 << 20));
  app.add_option("--span", o.span, "contentCreated spread before start, e.g. 6h");
  app.add_option("--future-span", o.future_span, "blobs appearing after start, over e.g. 1h");
  app.add_option("--expiration", o.expiration, "contentExpiration - contentCreated (default 7d)");
  app.add_option("--page-size", o.page_size, "blobs per content page")
      ->check(CLI::Range(1, 100000));
  app.add_option("--token-lifetime", o.token_lifetime, "access token lifetime in seconds")
      ->check(CLI::Range(1, 86400 * 30));
  app.add_option("--throttle-per-minute", o.throttle_per_minute, "per-tenant request budget")
      ->check(CLI::Range(1, 100'000'000));
  app.add_option("--throttle-status", o.throttle_status, "403 or 429")
      ->check(CLI::IsMember({403, 429}));
  app.add_option("--shared-throttle-per-minute", o.shared_throttle_per_minute,
                 "budget of all requests without PublisherIdentifier")
      ->check(CLI::Range(1, 100'000'000));
  app.add_option("--retry-after", o.retry_after, "Retry-After seconds on AF429 (0: none)")
      ->check(CLI::Range(0, 86400));
  app.add_option("--service-health-issues", o.service_health_issues,
                 "Microsoft Graph service health issues each tenant starts with (default 3)")
      ->check(CLI::Range(0, 10000));
  app.add_option("--graph-page-size", o.graph_page_size,
                 "Service health issues per Graph page (default 2)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--latency-ms", o.latency_ms,
                 "delay every token and API answer by this many milliseconds")
      ->check(CLI::Range(0, 60000));
  app.add_option("--transient-error-rate", o.transient_error_rate,
                 "share of API requests failing 500/503/408")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--late-visible-fraction", o.late_visible_fraction, "share of blobs listed late")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--late-visible-delay", o.late_visible_delay, "how late, e.g. 30m");
  app.add_option("--backfill-fraction", o.backfill_fraction,
                 "share of records days older than their blob")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--duplicate-fraction", o.duplicate_fraction,
                 "share of records repeated in a later blob")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--large-blob-mb", o.large_blob_mb, "one blob of about N MiB per stream")
      ->check(CLI::Range(0, 4096));
  app.add_option("--expired-fraction", o.expired_fraction, "share of listed blobs already expired")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--invalid-json-blobs", o.invalid_json_blobs,
                 "blobs per stream with a broken body")
      ->check(CLI::Range(0, 10'000'000));
  app.add_option("--invalid-json-fetches", o.invalid_json_fetches,
                 "0: broken forever; K: broken on the first K fetches")
      ->check(CLI::Range(0, 1'000'000));
  app.add_option("--bomb-blobs", o.bomb_blobs,
                 "gzip bombs per stream: gzip bodies that expand to --bomb-mb of zeros")
      ->check(CLI::Range(0, 1'000'000));
  app.add_option("--bomb-mb", o.bomb_mb, "decoded size of each gzip bomb in MiB (default 10240)")
      ->check(CLI::Range(1, 1 << 24));
  app.add_option("--clock-skew", o.clock_skew, "offset of the simulator clock, e.g. 300 or -10m");
  app.add_option("--content-uri-base", o.content_uri_base, "contentUri base URL (a foreign host)");
  app.add_flag("--next-page-loop", o.next_page_loop, "NextPageUri repeats the same page forever");
  app.add_flag("--echo-credentials", o.echo_credentials,
               "error bodies echo the Authorization header, client secret and assertion");
  app.add_option("--issued-tokens-out", o.issued_tokens_out,
                 "append every secret known, token issued and assertion received to FILE");
  app.add_flag("--prebuild-bodies", o.prebuild_bodies,
               "render and gzip every blob once at start and serve them from memory (benchmarks: "
               "the simulator then costs a memory copy per download)");
  app.add_flag("--auditing-disabled", o.auditing_disabled, "every tenant has unified auditing off");
  app.add_flag("--subscriptions-enabled", o.subscriptions_enabled,
               "start with every subscription enabled");
  app.add_flag("--opaque-tokens", o.opaque_tokens,
               "issue opaque access tokens (random strings, not JWTs) as proxies and mocks do");
  app.add_flag("--subscription-list-404", o.subscription_list_404,
               "answer subscriptions/list with HTTP 404 as a mock without that route does");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return std::nullopt;
}

namespace {

Status duration(const std::optional<std::string>& text, const char* flag, Seconds& out,
                bool negative_ok = false) {
  if (!text) return okStatus();
  auto v = parseSeconds(*text);
  if (!v || (!negative_ok && v->count() < 0))
    return Error::permanent(
        ErrorKind::kConfig,
        std::string(flag) + " must be a duration like 90s, 15m, 6h, 7d; got '" + *text + "'");
  out = *v;
  return okStatus();
}

}  // namespace

Result<SimConfig> buildConfig(const SimOptions& o) {
  SimConfig cfg;
  bool scenario_tenants = false;
  if (!o.scenario.empty()) {
    auto loaded = loadScenarioFile(o.scenario);
    if (!loaded.ok()) return loaded.error();
    cfg = std::move(loaded.value());
    scenario_tenants = cfg.tenants_from_scenario;
  } else {
    cfg.tenants.push_back(demoTenant());
  }
  if (o.seed) cfg.seed = *o.seed;
  if (o.tenants) {
    if (scenario_tenants)
      return Error::permanent(ErrorKind::kConfig,
                              "--tenants cannot be combined with a scenario that lists tenants");
    auto base = cfg.tenants.front();  // carries the scenario's top-level content knobs
    cfg.tenants = generatedTenants(*o.tenants, cfg.seed);
    for (auto& t : cfg.tenants) t.content = base.content;
  }
  std::vector<size_t> types;
  for (const auto& name : o.content_types) {
    auto idx = contentTypeIndex(name);
    if (!idx)
      return Error::permanent(ErrorKind::kConfig,
                              "--content-types: unknown content type '" + name + "'");
    types.push_back(*idx);
  }
  for (auto& t : cfg.tenants) {
    if (!types.empty()) {
      t.has_content.fill(false);
      for (size_t i : types) t.has_content[i] = true;
    }
    if (o.auditing_disabled) t.auditing_enabled = false;
    if (o.subscriptions_enabled) t.subscriptions.fill(SubscriptionState::kEnabled);
    if (o.throttle_per_minute) t.throttle.per_minute = *o.throttle_per_minute;
    if (o.throttle_status) t.throttle.status = *o.throttle_status;
    if (o.retry_after) t.throttle.retry_after = *o.retry_after;
    for (auto& k : t.content) {
      if (o.blobs) k.blobs = *o.blobs;
      if (o.records_per_blob) k.records_per_blob = *o.records_per_blob;
      if (o.record_size) k.record_size = *o.record_size;
      if (o.large_blob_mb) k.large_blob_mb = *o.large_blob_mb;
      if (o.invalid_json_blobs) k.invalid_json_blobs = *o.invalid_json_blobs;
      if (o.invalid_json_fetches) k.invalid_json_fetches = *o.invalid_json_fetches;
      if (o.bomb_blobs) k.bomb_blobs = *o.bomb_blobs;
      if (o.bomb_mb) k.bomb_mb = *o.bomb_mb;
      if (o.late_visible_fraction) k.late_visible_fraction = *o.late_visible_fraction;
      if (o.backfill_fraction) k.backfill_fraction = *o.backfill_fraction;
      if (o.duplicate_fraction) k.duplicate_fraction = *o.duplicate_fraction;
      if (o.expired_fraction) k.expired_fraction = *o.expired_fraction;
      Status s = duration(o.span, "--span", k.span);
      if (s.ok()) s = duration(o.future_span, "--future-span", k.future_span);
      if (s.ok()) s = duration(o.late_visible_delay, "--late-visible-delay", k.late_visible_delay);
      if (s.ok()) s = duration(o.expiration, "--expiration", k.expiration);
      if (!s.ok()) return s.error();
    }
  }
  if (o.page_size) cfg.page_size = *o.page_size;
  if (o.token_lifetime) cfg.token_lifetime = *o.token_lifetime;
  if (o.shared_throttle_per_minute) cfg.shared_throttle_per_minute = *o.shared_throttle_per_minute;
  if (o.transient_error_rate) cfg.faults.transient_error_rate = *o.transient_error_rate;
  if (o.next_page_loop) cfg.faults.next_page_loop = true;
  if (o.content_uri_base) cfg.faults.content_uri_base = *o.content_uri_base;
  if (o.opaque_tokens) cfg.faults.opaque_tokens = true;
  if (o.subscription_list_404) cfg.faults.subscription_list_404 = true;
  if (o.echo_credentials) cfg.faults.echo_credentials = true;
  if (o.latency_ms) cfg.faults.latency_ms = *o.latency_ms;
  if (o.service_health_issues) cfg.service_health_issues = *o.service_health_issues;
  if (o.graph_page_size) cfg.graph_page_size = *o.graph_page_size;
  Status s = duration(o.clock_skew, "--clock-skew", cfg.clock_skew, true);
  if (!s.ok()) return s.error();
  s = validateConfig(cfg);
  if (!s.ok()) return s.error();
  return cfg;
}

}  // namespace o365fwd::sim
