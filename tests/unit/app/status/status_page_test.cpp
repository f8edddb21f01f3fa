// renderStatusPage: one row per stream and per sink with the documented classes and data
// attributes, escaped values, "never" / lag marking, and no external assets.
#include "app/status/status_page.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "app/status/fleet_health.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

WallTime at(const char* iso) {
  return *parseUtc(iso);
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

// The <tr ...>...</tr> whose opening tag contains `marker`; empty when there is none.
std::string rowWith(const std::string& page, const std::string& marker) {
  auto pos = page.find(marker);
  if (pos == std::string::npos) return "";
  auto begin = page.rfind("<tr", pos);
  auto end = page.find("</tr>", pos);
  return page.substr(begin, end + 5 - begin);
}

StreamReport stream(const std::string& tenant, const std::string& type, const std::string& state) {
  StreamReport s;
  s.tenant = tenant;
  s.tenant_id = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
  s.content_type = type;
  s.state = state;
  return s;
}

StatusReport sampleReport() {
  StatusReport r;
  r.version = "0.1.0";
  r.generated_at = at("2026-12-06T19:40:00.123Z");
  r.started_at = at("2026-12-06T18:00:00Z");
  r.ready = true;
  StreamReport a = stream("contoso", "Audit.Exchange", "active");
  a.last_success = at("2026-12-06T19:39:00Z");
  a.lag_seconds = 180;
  a.events_forwarded = 4242;
  a.blobs_pending = 3;
  a.duplicates_dropped = 17;
  a.records_without_id = 5;
  a.records_invalid_utf8 = 6;
  a.records_filtered = 8;
  r.streams.push_back(a);
  StreamReport s = stream("contoso", "Audit.SharePoint", "starting");
  r.streams.push_back(s);
  StreamReport e = stream("fabrikam", "Audit.General", "error");
  e.lag_seconds = 26 * 3600;
  e.lag_level = LagLevel::kWarning;
  e.last_error = ErrorInfo{at("2026-12-06T19:30:00Z"), "AF429", "Too many requests"};
  r.streams.push_back(e);
  StreamReport d = stream("fabrikam", "DLP.All", "disabled");
  d.lag_seconds = 6 * 86400;
  d.lag_level = LagLevel::kCritical;
  r.streams.push_back(d);
  SinkReport up;
  up.name = "file-main";
  up.type = "file";
  up.state = "up";
  up.delivered = 9000;
  up.queued = 12;
  r.sinks.push_back(up);
  SinkReport down;
  down.name = "siem";
  down.type = "syslog";
  down.state = "down";
  down.failed = 5;
  down.last_error = ErrorInfo{at("2026-12-06T19:35:00Z"), "connect", "connection refused"};
  r.sinks.push_back(down);
  return r;
}

TEST(StatusPage, ShowsRecordsFilteredPerStream) {
  std::string page = renderStatusPage(sampleReport());
  EXPECT_NE(page.find("<th>Filtered</th>"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"num filtered\">8</td>"), std::string::npos);
}

TEST(StatusPage, IsACompleteHtmlDocumentWithHeader) {
  std::string page = renderStatusPage(sampleReport());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("</html>"), std::string::npos);
  EXPECT_NE(page.find("o365fwd collection status"), std::string::npos);
  EXPECT_NE(page.find("<b id=\"version\">0.1.0</b>"), std::string::npos);
  EXPECT_NE(page.find("2026-12-06T18:00:00.000Z"), std::string::npos);  // started at
  EXPECT_NE(page.find("<b id=\"updated-at\">2026-12-06T19:40:00.123Z</b>"), std::string::npos);
  EXPECT_NE(page.find("class=\"ready\">Ready<"), std::string::npos);
  EXPECT_NE(page.find("<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"),
            std::string::npos);
  EXPECT_NE(page.find("fetch(location.href, {cache: 'no-store'})"), std::string::npos);
  EXPECT_NE(page.find("class=\"stale\" hidden>connection to the forwarder lost<"),
            std::string::npos);
}

TEST(StatusPage, NotReadyAndShuttingDown) {
  StatusReport r = sampleReport();
  r.ready = false;
  EXPECT_NE(renderStatusPage(r).find("class=\"not-ready\">Not ready<"), std::string::npos);
  r.ready = true;
  r.shutting_down = true;
  EXPECT_NE(renderStatusPage(r).find("class=\"not-ready\">Shutting down<"), std::string::npos);
}

TEST(StatusPage, OneRowPerStreamWithStateAndValues) {
  std::string page = renderStatusPage(sampleReport());
  EXPECT_EQ(count(page, "<tr class=\"stream\""), 4u);
  std::string active = rowWith(
      page, "data-tenant=\"contoso\" data-content-type=\"Audit.Exchange\" data-state=\"active\"");
  ASSERT_FALSE(active.empty()) << page;
  EXPECT_NE(active.find("<td class=\"state\">Active</td>"), std::string::npos) << active;
  EXPECT_NE(active.find("<td class=\"last-success\">2026-12-06T19:39:00.000Z</td>"),
            std::string::npos);
  EXPECT_NE(active.find("<td class=\"lag lag-ok\">3 min</td>"), std::string::npos) << active;
  EXPECT_NE(active.find("<td class=\"num forwarded\">4242</td>"), std::string::npos);
  EXPECT_NE(active.find("<td class=\"num pending\">3</td>"), std::string::npos);
  EXPECT_NE(active.find("<td class=\"num duplicates\">17</td>"), std::string::npos);
  EXPECT_NE(active.find("<td class=\"num without-id\">5</td>"), std::string::npos);
  EXPECT_NE(active.find("<td class=\"num invalid-utf8\">6</td>"), std::string::npos);
  EXPECT_NE(active.find("<td class=\"error\"></td>"), std::string::npos);

  std::string starting = rowWith(page, "data-content-type=\"Audit.SharePoint\"");
  EXPECT_NE(starting.find("data-state=\"starting\""), std::string::npos);
  EXPECT_NE(starting.find("<td class=\"state\">Starting</td>"), std::string::npos);
  std::string error = rowWith(page, "data-content-type=\"Audit.General\"");
  EXPECT_NE(error.find("data-state=\"error\""), std::string::npos);
  EXPECT_NE(error.find("<td class=\"state\">Error</td>"), std::string::npos);
  EXPECT_NE(error.find("<span class=\"code\">AF429</span> <span class=\"message\">Too many "
                       "requests</span><span class=\"at\">2026-12-06T19:30:00.000Z</span>"),
            std::string::npos)
      << error;
  std::string disabled = rowWith(page, "data-content-type=\"DLP.All\"");
  EXPECT_NE(disabled.find("data-state=\"disabled\""), std::string::npos);
  EXPECT_NE(disabled.find("<td class=\"state\">Disabled</td>"), std::string::npos);
}

TEST(StatusPage, NeverCollectedAndNoLagYet) {
  std::string row =
      rowWith(renderStatusPage(sampleReport()), "data-content-type=\"Audit.SharePoint\"");
  EXPECT_NE(row.find("<td class=\"last-success\">never</td>"), std::string::npos) << row;
  EXPECT_NE(row.find("<td class=\"lag lag-ok\">n/a</td>"), std::string::npos) << row;
}

TEST(StatusPage, LagWarningAndCriticalAreMarked) {
  std::string page = renderStatusPage(sampleReport());
  EXPECT_NE(rowWith(page, "data-content-type=\"Audit.General\"")
                .find("<td class=\"lag lag-warning\">26 h</td>"),
            std::string::npos);
  EXPECT_NE(rowWith(page, "data-content-type=\"DLP.All\"")
                .find("<td class=\"lag lag-critical\">6 d</td>"),
            std::string::npos);
  EXPECT_NE(page.find("td.lag-warning{"), std::string::npos);  // and styled
  EXPECT_NE(page.find("td.lag-critical{"), std::string::npos);
}

TEST(StatusPage, LagHumanForms) {
  StatusReport r;
  r.streams.push_back(stream("t", "A", "active"));
  auto lagOf = [&](std::int64_t s) {
    r.streams[0].lag_seconds = s;
    std::string row = rowWith(renderStatusPage(r), "class=\"stream\"");
    auto b = row.find("lag-ok\">") + 8;
    return row.substr(b, row.find('<', b) - b);
  };
  EXPECT_EQ(lagOf(-5), "0 s");
  EXPECT_EQ(lagOf(59), "59 s");
  EXPECT_EQ(lagOf(60), "1 min");
  EXPECT_EQ(lagOf(7199), "119 min");
  EXPECT_EQ(lagOf(7200), "2 h");
  EXPECT_EQ(lagOf(172799), "47 h");
  EXPECT_EQ(lagOf(172800), "2 d");
}

TEST(StatusPage, OneRowPerSink) {
  std::string page = renderStatusPage(sampleReport());
  EXPECT_EQ(count(page, "<tr class=\"sink\""), 2u);
  std::string up = rowWith(page, "data-sink=\"file-main\" data-state=\"up\"");
  ASSERT_FALSE(up.empty()) << page;
  EXPECT_NE(up.find("<td class=\"type\">file</td><td class=\"state\">Up</td>"), std::string::npos);
  EXPECT_NE(up.find("<td class=\"num delivered\">9000</td>"), std::string::npos);
  EXPECT_NE(up.find("<td class=\"num queued\">12</td>"), std::string::npos);
  std::string down = rowWith(page, "data-sink=\"siem\" data-state=\"down\"");
  ASSERT_FALSE(down.empty());
  EXPECT_NE(down.find("<td class=\"state\">Down</td>"), std::string::npos);
  EXPECT_NE(down.find("<td class=\"num failed\">5</td>"), std::string::npos);
  EXPECT_NE(down.find("connection refused"), std::string::npos);
}

TEST(StatusPage, EveryValueIsEscaped) {
  StatusReport r = sampleReport();
  r.version = "1<b>";
  r.streams[0].tenant = "<script>alert(1)</script>\"&'";
  r.streams[0].content_type = "A\"onmouseover=\"x";
  r.streams[0].last_error =
      ErrorInfo{at("2026-12-06T19:30:00Z"), "<i>", "bad <script>steal()</script> & \"quoted\""};
  r.sinks[0].name = "s\"><script>x</script>";
  r.sinks[0].type = "<t>";
  r.sinks[0].state = "up\"x";
  std::string page = renderStatusPage(r);
  // The only <script> is the page's own one.
  EXPECT_EQ(count(page, "<script"), 1u);
  EXPECT_EQ(page.find("<b>"), std::string::npos);
  EXPECT_EQ(page.find("<i>"), std::string::npos);
  EXPECT_EQ(page.find("<t>"), std::string::npos);
  EXPECT_EQ(page.find("onmouseover=\""), std::string::npos);
  EXPECT_NE(page.find("data-tenant=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;\""),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<span class=\"name\">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;"),
            std::string::npos);
  EXPECT_NE(page.find("bad &lt;script&gt;steal()&lt;/script&gt; &amp; &quot;quoted&quot;"),
            std::string::npos);
  EXPECT_NE(page.find("data-sink=\"s&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""),
            std::string::npos);
  EXPECT_NE(page.find("data-state=\"up&quot;x\""), std::string::npos);
  EXPECT_NE(page.find("1&lt;b&gt;"), std::string::npos);
}

TEST(StatusPage, EmptyReportRendersEmptyTables) {
  std::string page = renderStatusPage(StatusReport{});
  EXPECT_EQ(count(page, "<tr class=\"stream\""), 0u);
  EXPECT_EQ(count(page, "<tr class=\"sink\""), 0u);
  EXPECT_NE(page.find("<b id=\"started-at\">n/a</b>"), std::string::npos);
  EXPECT_NE(page.find("class=\"not-ready\">Not ready<"), std::string::npos);
}

TEST(StatusPage, NoExternalAssets) {
  std::string page = renderStatusPage(sampleReport());
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("//"), std::string::npos) << "no protocol-relative URLs";
  std::smatch m;
  // The only links are relative to the page itself: its filters and pager ("?state=error").
  std::regex ref(R"((src\s*=|href\s*=\s*"[^?]))", std::regex::icase);
  EXPECT_FALSE(std::regex_search(page, m, ref)) << m.str();
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  // The script builds rows with textContent only.
  EXPECT_EQ(page.find("innerHTML"), std::string::npos);
  EXPECT_EQ(page.find("outerHTML"), std::string::npos);
  EXPECT_EQ(page.find("insertAdjacentHTML"), std::string::npos);
  EXPECT_EQ(page.find("document.write"), std::string::npos);
  // The only fetched URL is the page's own.
  EXPECT_EQ(count(page, "fetch("), 1u);
  EXPECT_NE(page.find("fetch(location.href"), std::string::npos);
}

// Issue 11: 120 tenants x 2 streams, tenant57 in error and tenant88 lagging.
StatusReport fleetReport() {
  StatusReport r = sampleReport();
  r.streams.clear();
  for (int i = 1; i <= 120; ++i)
    for (const char* ct : {"Audit.Exchange", "Audit.General"}) {
      StreamReport s = stream("tenant" + std::to_string(i), ct, "active");
      s.lag_seconds = 60;
      if (i == 57 && std::string(ct) == "Audit.General") {
        s.state = "error";
        s.last_error = ErrorInfo{at("2026-12-06T19:30:00Z"), "AF20022", "No subscription"};
      }
      if (i == 88) {
        s.lag_level = LagLevel::kWarning;
        s.lag_seconds = 30 * 3600;
      }
      r.streams.push_back(s);
    }
  r.health = summarizeHealth(r);
  return r;
}

std::vector<std::string> tenantOrder(const std::string& page) {
  std::vector<std::string> out;
  std::regex re("<details class=\"tenant\" data-tenant=\"([^\"]*)\"");
  for (std::sregex_iterator it(page.begin(), page.end(), re), end; it != end; ++it)
    out.push_back((*it)[1].str());
  return out;
}

TEST(StatusPage, HealthHeadlineAndSummaryComeFirstSeparateFromReadiness) {
  StatusReport r = fleetReport();
  r.ready = true;
  std::string page = renderStatusPage(r);
  EXPECT_NE(page.find("class=\"ready\">Ready<"), std::string::npos);
  EXPECT_NE(page.find("<div id=\"health\" class=\"degraded\" data-state=\"degraded\">Degraded: "
                      "1 stream in error, 2 lagging; 1 sink not up</div>"),
            std::string::npos)
      << page.substr(0, 12000);
  EXPECT_NE(page.find("<b class=\"n\">118</b>tenants healthy"), std::string::npos);
  EXPECT_NE(page.find("<b class=\"n\">1</b>tenants in error"), std::string::npos);
  EXPECT_NE(page.find("<b class=\"n\">1</b>tenants lagging"), std::string::npos);
  EXPECT_NE(page.find("<b class=\"n\">30 h</b>oldest lag (tenant88/Audit.Exchange)"),
            std::string::npos);
  EXPECT_LT(page.find("id=\"health\""), page.find("<details"));
}

TEST(StatusPage, OnePageOfTenantsProblemsFirstInNaturalOrder) {
  StatusReport r = fleetReport();
  std::string page = renderStatusPage(r);
  std::vector<std::string> order = tenantOrder(page);
  ASSERT_EQ(order.size(), PageQuery::kTenantsPerPage);
  EXPECT_EQ(order[0], "tenant57");
  EXPECT_EQ(order[1], "tenant88");
  EXPECT_EQ(order[2], "tenant1");
  EXPECT_EQ(order[3], "tenant2");
  EXPECT_EQ(order[11], "tenant10");
  EXPECT_EQ(count(page, "<tr class=\"stream\""), 2 * PageQuery::kTenantsPerPage);
  EXPECT_NE(page.find("data-tenant=\"tenant57\" data-state=\"error\"><summary>"),
            std::string::npos);
  EXPECT_NE(page.find("Audit.General: AF20022 No subscription"), std::string::npos);
  EXPECT_NE(page.find("tenants 1–50 of 120"), std::string::npos);
  EXPECT_NE(page.find("<a rel=\"next\" href=\"?page=2\">next</a>"), std::string::npos);
  EXPECT_EQ(page.find("rel=\"prev\""), std::string::npos);

  std::string last = renderStatusPage(r, {"", "", 3});
  EXPECT_EQ(tenantOrder(last).size(), 20u);
  EXPECT_EQ(tenantOrder(last).back(), "tenant120");
  EXPECT_NE(last.find("<a rel=\"prev\" href=\"?page=2\">previous</a>"), std::string::npos);
  EXPECT_EQ(tenantOrder(renderStatusPage(r, {"", "", 99})), tenantOrder(last));
}

TEST(StatusPage, FiltersByNameAndStateWithLinksThatKeepTheFilter) {
  StatusReport r = fleetReport();
  EXPECT_EQ(tenantOrder(renderStatusPage(r, {"", "problems", 1})),
            (std::vector<std::string>{"tenant57", "tenant88"}));
  EXPECT_EQ(tenantOrder(renderStatusPage(r, {"", "error", 1})),
            (std::vector<std::string>{"tenant57"}));
  EXPECT_EQ(tenantOrder(renderStatusPage(r, {"ANT11", "", 1})),
            (std::vector<std::string>{"tenant11", "tenant110", "tenant111", "tenant112",
                                      "tenant113", "tenant114", "tenant115", "tenant116",
                                      "tenant117", "tenant118", "tenant119"}));
  std::string page = renderStatusPage(r, {"a b&c", "", 1});
  EXPECT_NE(page.find("href=\"?q=a%20b%26c&amp;state=error\""), std::string::npos);
  EXPECT_NE(page.find("value=\"a b&amp;c\""), std::string::npos);
  EXPECT_NE(page.find("no tenant matches"), std::string::npos);
}

TEST(StatusPage, ChartsAreInlineSvgFromTheHistory) {
  StatusReport r = fleetReport();
  EXPECT_NE(renderStatusPage(r).find("collecting: one point a minute"), std::string::npos);
  for (int i = 0; i < 5; ++i) {
    HistoryPoint p;
    p.at = r.generated_at - std::chrono::minutes(4 - i);
    p.seconds = i == 0 ? 0 : 60;
    p.records = 600u * i;
    p.oldest_lag_seconds = 60 * (i + 1);
    r.history.push_back(p);
  }
  std::string page = renderStatusPage(r);
  EXPECT_EQ(count(page, "<svg class=\"chart "), 2u);
  EXPECT_EQ(count(page, "<polyline class=\"line\""), 2u);
  EXPECT_NE(page.find("Records per minute — now 2,400, max 2,400"), std::string::npos);
  EXPECT_NE(page.find("Oldest lag — now 5 min, max 5 min"), std::string::npos);
  EXPECT_NE(page.find(">4 min ago</text>"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
