#include "tests/support/headless_browser.h"

#include <unistd.h>

#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace o365fwd::testing {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr std::chrono::seconds kTimeout{60};

std::string tail(const std::string& text, std::size_t n = 2000) {
  return text.size() > n ? text.substr(text.size() - n) : text;
}

struct Run {
  bool ok = false;
  std::string out;
  std::string error;
};

// Runs the browser with the common flags, a fresh profile and `extra` flags, then `url`.
Run runBrowser(const std::vector<std::string>& extra, const std::string& url) {
  TempDir profile("o365fwd-chromium");
  std::vector<std::string> argv = {kChromium,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--no-first-run",
                                   "--user-data-dir=" + profile.path().string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  ChildProcess browser;
  ProcessOptions options;
  options.cwd = profile.path();
  options.env["HOME"] = profile.path().string();  // no writes to the real home directory
  Run run;
  if (Status started = browser.start(argv, options); !started.ok()) {
    run.error = started.error().message;
    return run;
  }
  std::optional<int> code = browser.wait(kTimeout);
  if (!code) {
    browser.kill();
    run.error = "chromium timed out after 60 s; stderr:\n" + tail(browser.stderrText());
    return run;
  }
  run.out = browser.stdoutText();
  if (*code != 0) {
    run.error = "chromium exited with " + std::to_string(*code) + "; stderr:\n" +
                tail(browser.stderrText());
    return run;
  }
  run.ok = true;
  return run;
}

}  // namespace

bool browserAvailable() {
  return ::access(kChromium, X_OK) == 0;
}

BrowserResult dumpDom(const std::string& url, std::chrono::milliseconds virtual_time_budget) {
  Run run = runBrowser(
      {"--virtual-time-budget=" + std::to_string(virtual_time_budget.count()), "--dump-dom"}, url);
  BrowserResult result;
  result.ok = run.ok && !run.out.empty();
  result.dom = std::move(run.out);
  result.error = run.ok && result.dom.empty() ? "chromium printed no DOM" : run.error;
  return result;
}

bool screenshot(const std::string& url, const std::filesystem::path& png, int width, int height,
                std::string* error) {
  std::error_code ec;
  std::filesystem::remove(png, ec);
  Run run = runBrowser({"--hide-scrollbars", "--screenshot=" + png.string(),
                        "--window-size=" + std::to_string(width) + "," + std::to_string(height)},
                       url);
  if (run.ok && !std::filesystem::exists(png)) run = {false, run.out, "no screenshot written"};
  if (!run.ok && error != nullptr) *error = run.error;
  return run.ok;
}

}  // namespace o365fwd::testing
