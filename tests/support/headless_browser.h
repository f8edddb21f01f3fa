#pragma once
// Runs Debian's headless Chromium (/usr/bin/chromium) for browser tests of the status page: one
// short-lived browser per call, with a private profile directory removed afterwards. Every call
// waits at most 60 s and kills the browser on timeout. Stateless; any thread.
#include <chrono>
#include <filesystem>
#include <string>

namespace o365fwd::testing {

struct BrowserResult {
  bool ok = false;
  std::string dom;    // the serialized DOM after the page's scripts ran (--dump-dom)
  std::string error;  // why it failed (exit code, timeout, the browser's stderr tail)
};

// True when the Chromium binary exists and is executable; tests GTEST_SKIP() otherwise.
bool browserAvailable();

// Loads `url` and returns the DOM once the page settled and `virtual_time_budget` of virtual
// time passed (timers such as the page's 5 s refresh run within it).
BrowserResult dumpDom(const std::string& url, std::chrono::milliseconds virtual_time_budget);

// Loads `url` in a width x height window and writes a PNG screenshot to `png`. False (with the
// reason in *error when given) when the browser failed or wrote no file.
bool screenshot(const std::string& url, const std::filesystem::path& png, int width, int height,
                std::string* error = nullptr);

}  // namespace o365fwd::testing
