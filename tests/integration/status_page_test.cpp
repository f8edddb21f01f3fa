// The collection-status page in a real browser: the o365fwd daemon collects from o365fwd-sim with
// its health endpoint on loopback, headless Chromium loads GET / and the DOM it builds must show
// one row per tenant x content type with the state /status reports, the sink, and the records
// forwarded; the page's own refresh script must re-render the same rows and show the "connection
// lost" banner when /status is unreachable. Skipped when Chromium is not installed.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <csignal>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/headless_browser.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kContentTypes = {"Audit.Exchange", "Audit.General"};

struct DomRow {
  std::map<std::string, std::string> attrs;  // data-* attributes of the <tr>
  std::map<std::string, std::string> cells;  // <td class="..."> -> its text (tags stripped)
};

std::string stripTags(const std::string& html) {
  return std::regex_replace(html, std::regex("<[^>]*>"), "");
}

// Every <tr class="KIND" ...>...</tr> of the dumped DOM.
std::vector<DomRow> rows(const std::string& dom, const std::string& kind) {
  std::vector<DomRow> out;
  std::regex row_re("<tr class=\"" + kind + "\"([^>]*)>([\\s\\S]*?)</tr>");
  std::regex attr_re("(data-[a-z-]+)=\"([^\"]*)\"");
  std::regex cell_re("<td class=\"([^\"]*)\">([\\s\\S]*?)</td>");
  for (std::sregex_iterator it(dom.begin(), dom.end(), row_re), end; it != end; ++it) {
    DomRow row;
    std::string attrs = (*it)[1].str(), body = (*it)[2].str();
    for (std::sregex_iterator a(attrs.begin(), attrs.end(), attr_re); a != end; ++a)
      row.attrs[(*a)[1].str()] = (*a)[2].str();
    for (std::sregex_iterator c(body.begin(), body.end(), cell_re); c != end; ++c)
      row.cells[(*c)[1].str()] = stripTags((*c)[2].str());
    out.push_back(std::move(row));
  }
  return out;
}

// Whether the "connection to the forwarder lost" banner is visible (its tag lacks `hidden`).
bool staleBannerShown(const std::string& dom) {
  auto pos = dom.find("id=\"stale\"");
  if (pos == std::string::npos) return false;
  auto begin = dom.rfind('<', pos);
  std::string tag = dom.substr(begin, dom.find('>', pos) - begin);
  return tag.find("hidden") == std::string::npos;
}

// The daemon's health URL from its "Health endpoint listening. url=..." log line.
// Polls /status until `done(document)` holds; false after 90 s.
template <typename Pred>
bool waitForStatus(const std::string& url, Pred done, std::string* last_body) {
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResult r = httpRequest("GET", url + "/status");
    *last_body = r.body;
    rapidjson::Document d;
    if (r.status == 200 && !d.Parse(r.body.c_str()).HasParseError() && d.IsObject() &&
        d.HasMember("streams") && d["streams"].IsArray() && done(d))
      return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

void expectPng(const std::filesystem::path& png) {
  std::string bytes;
  {
    std::ifstream in(png, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << png;
  EXPECT_GT(bytes.size(), 5u * 1024u) << png;
}

std::filesystem::path artifactsDir() {
  std::filesystem::path dir = binaryDir() / "test-artifacts";
  std::filesystem::create_directories(dir);
  return dir;
}

class StatusPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!browserAvailable()) GTEST_SKIP() << "chromium is not installed (/usr/bin/chromium)";
  }

  // Starts the simulator (two tenants, kContentTypes), applies `sim_config` (a POST /_sim/config
  // body, may be empty) and starts the daemon with its health endpoint on 127.0.0.1:0.
  void startAll(const std::string& sim_config) {
    sim_ = SimProcess::start({"--tenants", "2", "--blobs", "4", "--records-per-blob", "5", "--span",
                              "1h", "--content-types", "Audit.Exchange,Audit.General"},
                             dir_);
    ASSERT_TRUE(sim_);
    if (!sim_config.empty()) {
      HttpResult r = sim_->admin("POST", "/_sim/config", sim_config);
      ASSERT_EQ(r.status, 200) << r.body;
    }
    ForwarderOptions options;
    options.tenant_yaml = "    content_types: [Audit.Exchange, Audit.General]\n";
    options.health_yaml = "  listen: 127.0.0.1:0\n";
    fwd_ = std::make_unique<ForwarderHarness>(*sim_, dir_, options);
    daemon_ = fwd_->startDaemon();
    url_ = waitForHealthUrl(*daemon_, 30s);
    ASSERT_EQ(url_.rfind("http://127.0.0.1:", 0), 0u) << "no health URL; stderr:\n"
                                                      << daemon_->stderrText();
  }

  void stopDaemon() {
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(60s), 0) << daemon_->stderrText();
  }

  std::set<std::pair<std::string, std::string>> expectedStreams() const {
    std::set<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < sim_->tenantCount(); ++i)
      for (const std::string& ct : kContentTypes) out.insert({sim_->tenant(i).name, ct});
    return out;
  }

  TempDir dir_{"o365fwd-status-page"};
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<ForwarderHarness> fwd_;
  std::unique_ptr<ChildProcess> daemon_;
  std::string url_;
};

TEST_F(StatusPageTest, ActiveStreamsAndTheSinkAreShownAndRefreshed) {
  ASSERT_NO_FATAL_FAILURE(startAll(""));
  const std::size_t total = 2u * kContentTypes.size() * 4u * 5u;
  ASSERT_TRUE(fwd_->waitForLines(total, 90s)) << fwd_->outputLines().size() << " of " << total;
  std::string body;
  bool settled = waitForStatus(
      url_,
      [&](const rapidjson::Document& d) {
        std::uint64_t forwarded = 0;
        for (const auto& s : d["streams"].GetArray()) {
          if (std::string(s["state"].GetString()) != "active") return false;
          forwarded += s["events_forwarded"].GetUint64();
        }
        return d["streams"].Size() == 4 && forwarded == total && d["ready"].GetBool();
      },
      &body);
  ASSERT_TRUE(settled) << "last /status: " << body;

  // The server-rendered page (the script's first refresh is 5 s away), then the page after the
  // script re-rendered it from /status.
  for (auto budget : {500ms, 12000ms}) {
    SCOPED_TRACE("virtual time budget " + std::to_string(budget.count()) + " ms");
    BrowserResult page = dumpDom(url_ + "/", budget);
    ASSERT_TRUE(page.ok) << page.error;
    const std::string& dom = page.dom;
    EXPECT_NE(dom.find("o365fwd collection status"), std::string::npos);
    EXPECT_NE(dom.find(budget > 5000ms ? "data-render=\"script\"" : "data-render=\"server\""),
              std::string::npos)
        << dom;
    EXPECT_FALSE(staleBannerShown(dom)) << dom;
    EXPECT_NE(dom.find("class=\"ready\">Ready<"), std::string::npos) << dom;

    std::vector<DomRow> streams = rows(dom, "stream");
    EXPECT_EQ(streams.size(), 4u) << dom;
    std::set<std::pair<std::string, std::string>> seen;
    std::uint64_t forwarded = 0;
    for (const DomRow& r : streams) {
      seen.insert({r.attrs.at("data-tenant"), r.attrs.at("data-content-type")});
      EXPECT_EQ(r.attrs.at("data-state"), "active");
      EXPECT_EQ(r.cells.at("state"), "Active");
      EXPECT_NE(r.cells.at("last-success"), "never");
      EXPECT_GT(std::stoull(r.cells.at("num forwarded")), 0u);
      forwarded += std::stoull(r.cells.at("num forwarded"));
    }
    EXPECT_EQ(seen, expectedStreams());
    EXPECT_EQ(forwarded, total);

    std::vector<DomRow> sinks = rows(dom, "sink");
    ASSERT_EQ(sinks.size(), 1u) << dom;
    EXPECT_EQ(sinks[0].attrs.at("data-state"), "up");
    EXPECT_EQ(sinks[0].cells.at("state"), "Up");
    EXPECT_EQ(sinks[0].cells.at("type"), "file");
    EXPECT_EQ(std::stoull(sinks[0].cells.at("num delivered")), total);
  }

  // The same page saved to a file: its script cannot reach `status` there, so it shows the
  // banner and keeps the rows.
  HttpResult served = httpRequest("GET", url_ + "/");
  ASSERT_EQ(served.status, 200);
  EXPECT_NE(served.header("Content-Type").value_or("").find("text/html"), std::string::npos);
  std::filesystem::path saved = dir_.path() / "page" / "index.html";
  std::filesystem::create_directories(saved.parent_path());
  std::ofstream(saved) << served.body;
  BrowserResult offline = dumpDom("file://" + saved.string(), 12000ms);
  ASSERT_TRUE(offline.ok) << offline.error;
  EXPECT_TRUE(staleBannerShown(offline.dom)) << offline.dom;
  EXPECT_NE(offline.dom.find("connection to the forwarder lost"), std::string::npos);
  EXPECT_EQ(rows(offline.dom, "stream").size(), 4u);

  std::filesystem::path png = artifactsDir() / "status_page.png";
  std::string error;
  ASSERT_TRUE(screenshot(url_ + "/", png, 1280, 720, &error)) << error;
  expectPng(png);

  stopDaemon();
}

TEST_F(StatusPageTest, AStreamThatCannotCollectShowsItsState) {
  // The second tenant has unified auditing off: its streams report error, the first tenant's
  // stay active.
  ASSERT_NO_FATAL_FAILURE(startAll(R"({"tenant":"tenant2","auditing_enabled":false})"));
  std::string body;
  bool settled = waitForStatus(
      url_,
      [&](const rapidjson::Document& d) {
        if (d["streams"].Size() != 4) return false;
        for (const auto& s : d["streams"].GetArray()) {
          std::string want = std::string(s["tenant"].GetString()) == "tenant2" ? "error" : "active";
          if (s["state"].GetString() != want || (want == "error" && s["last_error"].IsNull()))
            return false;
        }
        return true;
      },
      &body);
  ASSERT_TRUE(settled) << "last /status: " << body;

  BrowserResult page = dumpDom(url_ + "/", 500ms);
  ASSERT_TRUE(page.ok) << page.error;
  std::vector<DomRow> streams = rows(page.dom, "stream");
  ASSERT_EQ(streams.size(), 4u) << page.dom;
  std::set<std::pair<std::string, std::string>> seen;
  for (const DomRow& r : streams) {
    seen.insert({r.attrs.at("data-tenant"), r.attrs.at("data-content-type")});
    if (r.attrs.at("data-tenant") == "tenant2") {
      EXPECT_EQ(r.attrs.at("data-state"), "error");
      EXPECT_EQ(r.cells.at("state"), "Error");
      EXPECT_EQ(r.cells.at("last-success"), "never");
      EXPECT_FALSE(r.cells.at("error").empty()) << "the stream's last error is shown";
    } else {
      EXPECT_EQ(r.attrs.at("data-state"), "active");
      EXPECT_EQ(r.cells.at("state"), "Active");
    }
  }
  EXPECT_EQ(seen, expectedStreams());
  EXPECT_NE(page.dom.find("class=\"not-ready\">Not ready<"), std::string::npos) << page.dom;

  std::filesystem::path png = artifactsDir() / "status_page_errors.png";
  std::string error;
  ASSERT_TRUE(screenshot(url_ + "/", png, 1280, 720, &error)) << error;
  expectPng(png);

  stopDaemon();
}

}  // namespace
}  // namespace o365fwd::testing
