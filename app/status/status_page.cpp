#include "app/status/status_page.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "app/credentials/credential_views.h"
#include "app/status/cluster_views.h"
#include "app/status/fleet_health.h"
#include "app/status/service_health_status.h"
#include "app/status/status_charts.h"
#include "app/status/status_table.h"
#include "core/html_escape.h"
#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {

namespace {

// Styles and the refresh script. The script swaps in the parts of a freshly rendered page (the
// ids in PARTS): one renderer, the server's.
constexpr std::string_view kHead = R"HTML(<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>o365fwd collection status</title>
<noscript><meta http-equiv="refresh" content="10"></noscript>
<style>
body{font-family:system-ui,sans-serif;margin:1em 1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1em 0 .4em}
.meta{font-size:.85em;color:#555}.meta span{margin-right:1.5em}.meta b{font-weight:600;color:#222}
#readiness.ready{color:#176b2c}#readiness.not-ready{color:#b3261e}
.stale{background:#b3261e;color:#fff;padding:.5em 1em;margin:.6em 0;font-weight:600}
#health{font-size:1.25em;font-weight:700;padding:.45em .8em;margin:.5em 0;border-radius:4px}
#health.ok{background:#e3f4e7;color:#176b2c}#health.degraded{background:#fbe3e1;color:#8c1d18}
.summary{display:flex;flex-wrap:wrap;gap:.5em;margin:.4em 0}
.summary div{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.3em .8em}
.summary b{display:block;font-size:1.3em;font-variant-numeric:tabular-nums}
.summary .error b{color:#b3261e}.summary .lagging b{color:#8a6d00}.summary .disabled b{color:#666}
.summary .healthy b{color:#176b2c}
#cluster .broker.down,#cluster .problem{color:#b3261e}#cluster tr.self td{font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:.6em}.chart{width:min(600px,100%);height:auto;background:#fff}
.chart .frame{fill:none;stroke:#ddd}.chart text{font-size:12px;fill:#444}
.chart .line{fill:none;stroke:#1f5fa8;stroke-width:1.5}.chart .area{fill:#dbe7f5}
.chart.lag .line{stroke:#a35c00}.chart.lag .area{fill:#f6e6cf}.chart .empty{fill:#999}
.filter{margin:.3em 0;font-size:.9em}.filter a{margin-right:.8em}.filter a.on{font-weight:700}
#q{font:inherit;padding:.2em .4em;width:18em}
.list{background:#fff;border:1px solid #ddd;font-size:.9em}
.list .head,.tenant>summary{display:grid;
grid-template-columns:1.2em minmax(10em,16em) 6em 5em 7em 9em 1fr;gap:.5em;padding:.25em .5em}
.list .head{background:#eee;font-weight:600}.tenant{border-top:1px solid #eee}
.tenant>summary{cursor:pointer;list-style:none}.tenant>summary::-webkit-details-marker{display:none}
.tenant>summary::before{content:"\25B8";color:#777}.tenant[open]>summary::before{content:"\25BE"}
.tenant>summary .problem{overflow:hidden;white-space:nowrap;text-overflow:ellipsis;color:#8c1d18}
.tenant>summary .num{text-align:right;font-variant-numeric:tabular-nums}
.tenant[data-state=error]>summary{background:#fdf0ef}
.tenant[data-state=lagging]>summary{background:#fffaf0}
.tenant[data-state=disabled]>summary{background:#f4f4f4}
.badge{font-weight:700}.badge.error{color:#b3261e}.badge.lagging{color:#8a6d00}
.badge.disabled{color:#666}.badge.healthy{color:#176b2c}
.tenant table{margin:.2em .5em .6em 1.7em}
.pager{margin:.4em 0;font-size:.9em}.pager a,.pager span{margin-right:1em}
table{border-collapse:collapse;background:#fff;font-size:.9em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
td.level.warning{color:#8a6d00}td.level.critical,td.level.expired{color:#b3261e;font-weight:700}
p.rate{margin:.3em .5em .3em 1.7em;color:#444}
p.credential{margin:.3em .5em .3em 1.7em}p.credential.critical,p.credential.expired{color:#b3261e}
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr[data-state=active] td.state,tr[data-state=up] td.state{color:#176b2c;font-weight:600}
tr[data-state=starting] td.state{color:#8a6d00;font-weight:600}
tr[data-state=error] td.state,tr[data-state=down] td.state{color:#b3261e;font-weight:700}
tr[data-state=disabled] td.state{color:#666;font-weight:600}
td.lag-warning{background:#fff3cd}td.lag-critical{background:#f8d7da;font-weight:700}
td.last-success,td.error .at{white-space:nowrap}
tr.service-issues td{background:#fff8e6;border-top:none}.service-issue{display:block}
.service-issue.incident b{color:#b3261e}.service-issue.advisory b{color:#8a6d00}
.service-health-error{color:#8c1d18}
td.error .code{font-family:monospace;font-weight:600}td.error .at{display:block;color:#777}
</style>
<script>
(function () {
  'use strict';
  var PARTS = ['readiness', 'updated-at', 'started-at', 'live'];
  function openTenants() {
    var open = {};
    document.querySelectorAll('details.tenant[open]').forEach(function (d) {
      open[d.getAttribute('data-tenant')] = true;
    });
    return open;
  }
  function swap(doc) {
    var open = openTenants();
    PARTS.forEach(function (id) {
      var now = document.getElementById(id), next = doc.getElementById(id);
      if (now && next) now.replaceWith(document.importNode(next, true));
    });
    document.querySelectorAll('details.tenant').forEach(function (d) {
      if (open[d.getAttribute('data-tenant')]) d.open = true;
    });
    document.body.setAttribute('data-render', 'script');
  }
  function refresh() {
    var box = document.getElementById('q');
    if (box && document.activeElement === box) { setTimeout(refresh, 5000); return; }
    fetch(location.href, {cache: 'no-store'})
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then(function (text) {
        swap(new DOMParser().parseFromString(text, 'text/html'));
        document.getElementById('stale').hidden = true;
      })
      .catch(function () { document.getElementById('stale').hidden = false; })
      .then(function () { setTimeout(refresh, 5000); });
  }
  function search(q) {
    var params = new URLSearchParams(location.search);
    if (q) params.set('q', q); else params.delete('q');
    params.delete('page');
    location.search = params.toString();
  }
  document.addEventListener('DOMContentLoaded', function () {
    var box = document.getElementById('q');
    if (box) {
      box.addEventListener('change', function () { search(box.value); });
    }
    setTimeout(refresh, 5000);
  });
  window.addEventListener('load', function () {
    setTimeout(function () {
      var nav = performance.getEntriesByType('navigation')[0];
      var paint = performance.getEntriesByName('first-contentful-paint')[0];
      if (nav) document.body.setAttribute('data-load-ms', Math.round(nav.loadEventEnd));
      if (paint) document.body.setAttribute('data-paint-ms', Math.round(paint.startTime));
    }, 0);
  });
})();
</script>
)HTML";

std::string urlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string humanLag(const std::optional<std::int64_t>& seconds) {
  if (!seconds) return "n/a";
  std::int64_t s = *seconds < 0 ? 0 : *seconds;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  if (s < 172800) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " d";
}

std::string cell(std::string_view cls, std::string_view text) {
  return "<td class=\"" + std::string(cls) + "\">" + htmlEscape(text) + "</td>";
}

std::string errorCell(const std::optional<ErrorInfo>& error) {
  if (!error) return "<td class=\"error\"></td>";
  return "<td class=\"error\"><span class=\"code\">" + htmlEscape(error->code) +
         "</span> <span class=\"message\">" + htmlEscape(error->message) +
         "</span><span class=\"at\">" + formatIsoMillis(error->at) + "</span></td>";
}

// The open Microsoft 365 incidents and advisories whose service affects the stream, as a row
// under it (empty when none).
std::string serviceIssuesRow(const StatusReport& report, const StreamReport& s) {
  std::vector<const ServiceIssueReport*> issues = issuesOfStream(report, s);
  if (issues.empty()) return "";
  std::string row = "<tr class=\"service-issues\" data-tenant=\"" + htmlEscape(s.tenant) +
                    "\" data-content-type=\"" + htmlEscape(s.content_type) +
                    "\"><td colspan=\"11\">";
  for (const ServiceIssueReport* i : issues)
    row += "<span class=\"service-issue " + htmlEscape(i->classification) + "\" data-issue=\"" +
           htmlEscape(i->id) + "\">Microsoft " + "<b>" + htmlEscape(i->classification) + "</b> " +
           htmlEscape(i->id) + " &middot; " + htmlEscape(i->service) +
           (i->status.empty() ? "" : " &middot; " + htmlEscape(i->status)) +
           (i->title.empty() ? "" : ": " + htmlEscape(i->title)) + "</span>";
  return row + "</td></tr>\n";
}

// The tenant's service health poll problem (e.g. the missing permission and its remedy).
std::string serviceHealthProblem(const StatusReport& report, const std::string& tenant) {
  const ServiceHealthReport* h = serviceHealthOf(report, tenant);
  if (!h || !h->last_error) return "";
  return "<p class=\"service-health-error\" data-tenant=\"" + htmlEscape(tenant) +
         "\">Service health: <span class=\"code\">" + htmlEscape(h->last_error->code) + "</span> " +
         htmlEscape(h->last_error->message) + "</p>\n";
}

std::string streamRow(const StreamReport& s) {
  std::string row = "<tr class=\"stream\" data-tenant=\"" + htmlEscape(s.tenant) +
                    "\" data-content-type=\"" + htmlEscape(s.content_type) + "\" data-state=\"" +
                    htmlEscape(s.state) + "\">";
  row += cell("content-type", s.content_type);
  row += cell("state", capitalized(s.state));
  row += cell("last-success", s.last_success ? formatIsoMillis(*s.last_success) : "never");
  row += cell(std::string("lag lag-") + toString(s.lag_level), humanLag(s.lag_seconds));
  row += cell("num forwarded", std::to_string(s.events_forwarded));
  row += cell("num pending", std::to_string(s.blobs_pending));
  row += cell("num duplicates", std::to_string(s.duplicates_dropped));
  row += cell("num without-id", std::to_string(s.records_without_id));
  row += cell("num invalid-utf8", std::to_string(s.records_invalid_utf8));
  row += cell("num filtered", std::to_string(s.records_filtered));
  row += cell("num late", std::to_string(s.late_blobs));
  row += errorCell(s.last_error);
  return row + "</tr>\n";
}

std::string sinkRow(const SinkReport& k) {
  std::string row = "<tr class=\"sink\" data-sink=\"" + htmlEscape(k.name) + "\" data-state=\"" +
                    htmlEscape(k.state) + "\">";
  row += cell("name", k.name);
  row += cell("type", k.type);
  row += cell("state", capitalized(k.state));
  row += cell("num delivered", std::to_string(k.delivered));
  row += cell("num failed", std::to_string(k.failed));
  row += cell("num queued", std::to_string(k.queued));
  row += errorCell(k.last_error);
  return row + "</tr>\n";
}

// "Audit.Exchange: AF20022 The subscription is disabled" (or its lag) for the summary line.
// Microsoft's open incidents and advisories for a stream ("EX100000, EX100001"): on the summary
// line too, so a lagging stream's likely cause is seen without opening the tenant.
std::string openIssues(const StreamReport& s) {
  std::string ids;
  for (const std::string& id : s.service_issues) ids += (ids.empty() ? "" : ", ") + id;
  return ids;
}

std::string problemText(const TenantGroup& g) {
  const StreamReport* s = g.first_problem;
  if (!s) {
    for (const StreamReport* t : g.streams)
      if (!t->service_issues.empty())
        return t->content_type + ": Microsoft service issue open: " + openIssues(*t);
    return "";
  }
  std::string text = s->content_type + ": ";
  if (s->last_error)
    text += s->last_error->code + " " + s->last_error->message;
  else if (streamHealth(*s) == StreamHealth::kLagging)
    text += "lagging " + humanLag(s->lag_seconds);
  else
    text += s->state;
  std::size_t problems = 0;
  for (const StreamReport* t : g.streams) problems += streamHealth(*t) != StreamHealth::kHealthy;
  if (problems > 1) text += " (+" + std::to_string(problems - 1) + " more)";
  if (!s->service_issues.empty()) text += "; Microsoft service issue open: " + openIssues(*s);
  return text;
}

std::string tenantBlock(const StatusReport& report, const TenantGroup& g,
                        const CredentialReport* credential, WallTime now,
                        const RequestRateReport* rate) {
  const char* health = toString(g.health);
  std::string out = "<details class=\"tenant\" data-tenant=\"" + htmlEscape(g.tenant) +
                    "\" data-state=\"" + health + "\"><summary><span class=\"name\">" +
                    htmlEscape(g.tenant) + "</span><span class=\"badge " + health + "\">" +
                    capitalized(health) + "</span><span class=\"num\">" +
                    std::to_string(g.streams.size()) + "</span><span class=\"num\">" +
                    humanLag(g.oldest_lag_seconds) + "</span><span class=\"num\">" +
                    groupedCount(g.records) + "</span><span class=\"problem\">" +
                    htmlEscape(problemText(g)) + "</span></summary>\n";
  if (credential) out += credentialTenantLine(*credential, now);
  if (rate)
    out += "<p class=\"rate\" data-rate=\"" + std::to_string(rate->per_minute) +
           "\">Request rate " + groupedCount(rate->per_minute) + "/min learned (started at " +
           groupedCount(rate->start) + ", ceiling " + groupedCount(rate->ceiling) + "; " +
           groupedCount(rate->cuts) + " cut(s) after throttled answers)</p>\n";
  out +=
      "<table class=\"streams\"><thead><tr><th>Content type</th><th>State</th>"
      "<th>Last collected</th><th>Lag</th><th>Records forwarded</th><th>Pending blobs</th>"
      "<th>Duplicates dropped</th><th>Without Id</th><th>Invalid UTF-8</th><th>Filtered</th>"
      "<th>Late blobs</th>"
      "<th>Last error</th></tr></thead><tbody>\n";
  for (const StreamReport* s : g.streams) out += streamRow(*s) + serviceIssuesRow(report, *s);
  return out + "</tbody></table>" + serviceHealthProblem(report, g.tenant) + "</details>\n";
}

// A relative link to this page with the given filter and page ("?q=..&state=..&page=..").
std::string pageLink(const PageQuery& q) {
  std::string query;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&") + std::string(key) + "=" + urlEncode(value);
  };
  add("q", q.q);
  add("state", q.state == "all" ? "" : q.state);
  add("page", q.page > 1 ? std::to_string(q.page) : "");
  return query.empty() ? "?" : query;
}

std::string summaryCard(const char* cls, const std::string& label, const std::string& value) {
  return "<div class=\"" + std::string(cls) + "\"><b class=\"n\">" + htmlEscape(value) + "</b>" +
         label + "</div>";
}

std::string summarySection(const HealthSummary& h) {
  std::string out = "<div id=\"health\" class=\"" + htmlEscape(h.state) + "\" data-state=\"" +
                    htmlEscape(h.state) + "\">" + htmlEscape(healthHeadline(h)) + "</div>\n";
  out += "<div class=\"summary\">";
  out += summaryCard("healthy", "tenants healthy", groupedCount(h.tenants_healthy));
  out += summaryCard("lagging", "tenants lagging", groupedCount(h.tenants_lagging));
  out += summaryCard("error", "tenants in error", groupedCount(h.tenants_error));
  out += summaryCard("disabled", "tenants disabled", groupedCount(h.tenants_disabled));
  out += summaryCard("rate", "records per minute",
                     h.records_per_minute ? groupedCount(*h.records_per_minute) : "n/a");
  std::string oldest = humanLag(h.oldest_lag_seconds);
  out += summaryCard(
      "oldest",
      "oldest lag" + (h.oldest_lag_stream.empty() ? std::string()
                                                  : " (" + htmlEscape(h.oldest_lag_stream) + ")"),
      oldest);
  return out + "</div>\n";
}

std::string filterLinks(const StatusReport& r, const PageQuery& query) {
  const HealthSummary& h = r.health;
  const std::uint64_t problems = h.tenants_error + h.tenants_lagging + h.tenants_disabled;
  std::string out = "<div class=\"filter\">Show: ";
  auto link = [&](const std::string& state, const std::string& label, std::uint64_t n) {
    PageQuery q{query.q, state, 1};
    const bool on = (query.state.empty() ? std::string("all") : query.state) == state;
    out += "<a class=\"" + std::string(on ? "on" : "") + "\" data-filter=\"" + state +
           "\" href=\"" + htmlEscape(pageLink(q)) + "\">" + label + " (" + groupedCount(n) +
           ")</a>";
  };
  link("all", "All", h.tenants);
  link("problems", "Problems", problems);
  link("error", "In error", h.tenants_error);
  link("lagging", "Lagging", h.tenants_lagging);
  link("disabled", "Disabled", h.tenants_disabled);
  link("healthy", "Healthy", h.tenants_healthy);
  return out + "</div>\n";
}

std::string tenantsSection(const StatusReport& r, const PageQuery& query) {
  const std::vector<TenantGroup> groups = tenantsProblemsFirst(r, {query.q, query.state});
  const std::size_t per_page = PageQuery::kTenantsPerPage;
  const std::size_t pages = std::max<std::size_t>(1, (groups.size() + per_page - 1) / per_page);
  const std::size_t page = std::clamp<std::size_t>(query.page, 1, pages);
  const std::size_t first = (page - 1) * per_page;
  const std::size_t last = std::min(groups.size(), first + per_page);
  std::string pager = "<div class=\"pager\" data-page=\"" + std::to_string(page) +
                      "\" data-pages=\"" + std::to_string(pages) + "\">";
  pager += groups.empty()
               ? std::string("<span>no tenant matches</span>")
               : "<span id=\"shown\">tenants " + groupedCount(first + 1) + "–" +
                     groupedCount(last) + " of " + groupedCount(groups.size()) + "</span>";
  if (page > 1)
    pager += "<a rel=\"prev\" href=\"" + htmlEscape(pageLink({query.q, query.state, page - 1})) +
             "\">previous</a>";
  if (page < pages)
    pager += "<a rel=\"next\" href=\"" + htmlEscape(pageLink({query.q, query.state, page + 1})) +
             "\">next</a>";
  pager += "</div>\n";
  std::string out = filterLinks(r, query) + pager;
  out +=
      "<div class=\"list\" id=\"tenants\"><div class=\"head\"><span></span><span>Tenant</span>"
      "<span>State</span><span>Streams</span><span>Oldest lag</span><span>Records</span>"
      "<span>Problem</span></div>\n";
  const auto credentials = credentialOfTenant(r);
  std::map<std::string_view, const RequestRateReport*> rates;
  for (const RequestRateReport& q : r.request_rates) rates.emplace(q.tenant, &q);
  for (std::size_t i = first; i < last; ++i) {
    auto c = credentials.find(groups[i].tenant);
    auto q = rates.find(groups[i].tenant);
    out += tenantBlock(r, groups[i], c == credentials.end() ? nullptr : c->second, r.generated_at,
                       q == rates.end() ? nullptr : q->second);
  }
  return out + "</div>\n" + pager;
}

// The stored series plus a point for the report's own moment (records at the current rate), so
// the charts reach "now" between the one-a-minute samples.
std::vector<HistoryPoint> withNow(const StatusReport& r) {
  std::vector<HistoryPoint> points = r.history;
  if (points.empty() || r.generated_at <= points.back().at + std::chrono::seconds(1)) return points;
  HistoryPoint now;
  now.at = r.generated_at;
  now.seconds = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(r.generated_at - points.back().at).count());
  now.records = r.health.records_per_minute.value_or(0) * now.seconds / 60;
  now.oldest_lag_seconds = r.health.oldest_lag_seconds;
  points.push_back(now);
  return points;
}

// Microsoft 365 service health over the fleet: open incidents and advisories, and the tenants
// whose service health cannot be read (at most 20 named). Empty when no tenant has it on.
std::string serviceHealthSection(const StatusReport& report) {
  if (report.service_health.empty()) return "";
  // Distinct issues: Microsoft reports the same issue to every tenant it affects.
  std::uint64_t incidents = 0, advisories = 0, failing = 0;
  const std::vector<FleetIssue> issues = fleetIssues(report);
  for (const FleetIssue& f : issues)
    (f.issue->classification == "incident" ? incidents : advisories) += 1;
  for (const ServiceHealthReport& h : report.service_health) failing += h.state == "error";
  std::string out =
      "<h2>Microsoft 365 service health</h2>\n<div id=\"service-health\"><p>"
      "Open incidents <b id=\"service-incidents\">" +
      std::to_string(incidents) + "</b>, advisories <b id=\"service-advisories\">" +
      std::to_string(advisories) + "</b> (shown under the streams they affect)";
  for (std::size_t k = 0; k < issues.size() && k < 5; ++k)
    out += std::string(k == 0 ? ": " : "; ") + "<span class=\"fleet-issue\" data-issue=\"" +
           htmlEscape(issues[k].issue->id) + "\">" + htmlEscape(issues[k].issue->id) + " (" +
           htmlEscape(issues[k].issue->service) + ") in " + std::to_string(issues[k].tenants) +
           (issues[k].tenants == 1 ? " tenant" : " tenants") + "</span>";
  if (issues.size() > 5) out += "; " + std::to_string(issues.size() - 5) + " more";
  if (failing > 0)
    out += "; service health unreadable for <b id=\"service-health-failing\">" +
           std::to_string(failing) + "</b> tenant(s)";
  out += "</p>\n";
  std::size_t named = 0;
  for (const ServiceHealthReport& h : report.service_health) {
    if (!h.last_error || named == 20) continue;
    ++named;
    out += serviceHealthProblem(report, h.tenant);
  }
  return out + "</div>\n";
}

}  // namespace

std::string renderStatusPage(const StatusReport& report, const PageQuery& query) {
  const bool ready = report.ready && !report.shutting_down;
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n";
  page += kHead;
  page += "</head>\n<body data-render=\"server\">\n<h1>o365fwd collection status</h1>\n";
  page +=
      "<div class=\"meta\"><span>Version <b id=\"version\">" + htmlEscape(report.version) +
      "</b></span><span>Started at <b id=\"started-at\">" +
      (report.started_at ? formatIsoMillis(*report.started_at) : std::string("n/a")) +
      "</b></span><span>Updated at <b id=\"updated-at\">" + formatIsoMillis(report.generated_at) +
      "</b></span><span>Readiness <b id=\"readiness\" class=\"" + (ready ? "ready" : "not-ready") +
      "\">" + (report.shutting_down ? "Shutting down" : (report.ready ? "Ready" : "Not ready")) +
      "</b></span></div>\n";
  page += "<div id=\"stale\" class=\"stale\" hidden>connection to the forwarder lost</div>\n";
  page += "<div id=\"live\">\n" + summarySection(report.health);
  const std::vector<HistoryPoint> series = withNow(report);
  page += "<div class=\"charts\">" + throughputChart(series) + lagChart(series) + "</div>\n";
  if (!report.config_problems.empty()) {
    page += "<h2>Configuration problems</h2>\n<ul id=\"config-problems\">\n";
    for (const std::string& p : report.config_problems) page += "<li>" + htmlEscape(p) + "</li>\n";
    page += "</ul>\n";
  }
  page += clusterPageSection(report);
  page += serviceHealthSection(report);
  page += credentialPageSection(report);
  page +=
      "<h2>Tenants</h2>\n<div class=\"search\">Search <input id=\"q\" type=\"search\" value=\"" +
      htmlEscape(query.q) + "\" placeholder=\"tenant name, then Enter\"></div>\n";
  page += tenantsSection(report, query);
  page +=
      "<h2>Sinks</h2>\n<table id=\"sinks\"><thead><tr><th>Name</th>"
      "<th>Type</th><th>State</th><th>Delivered</th><th>Failed</th><th>Queued</th>"
      "<th>Last error</th></tr></thead>\n<tbody id=\"sinks-body\">\n";
  for (const SinkReport& k : report.sinks) page += sinkRow(k);
  page += "</tbody></table>\n</div>\n</body>\n</html>\n";
  return redactSecrets(page);
}

}  // namespace o365fwd
