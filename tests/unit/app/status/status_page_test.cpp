// renderStatusPage: one row per stream and per sink with the documented classes and data
// attributes, escaped values, "never" / lag marking, and no external assets.
#include "app/status/status_page.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

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
  EXPECT_NE(page.find("fetch('status', {cache: 'no-store'})"), std::string::npos);
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
  EXPECT_NE(page.find("<td class=\"tenant\">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;"),
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
  std::regex ref(R"((src|href)\s*=)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(page, m, ref)) << m.str();
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  // The script builds rows with textContent only.
  EXPECT_EQ(page.find("innerHTML"), std::string::npos);
  EXPECT_EQ(page.find("outerHTML"), std::string::npos);
  EXPECT_EQ(page.find("insertAdjacentHTML"), std::string::npos);
  EXPECT_EQ(page.find("document.write"), std::string::npos);
  // The only fetched URL is the relative `status`.
  EXPECT_EQ(count(page, "fetch("), 1u);
}

}  // namespace
}  // namespace o365fwd
